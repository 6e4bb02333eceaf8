import Foundation
import LanderEngine
import LanderService
import Synchronization

/// CPU seconds (user + system) of this process, or of its reaped children.
func cpuSeconds(children: Bool) -> Double {
    var usage = rusage()
    getrusage(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Peak resident memory of this process in MiB.
func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Counts events as they happen, the way the command line's reporter hears them.
final class CountingObserver: DeploymentObserver {
    let count = Atomic<Int>(0)
    func started(_ handle: DeploymentHandle) {}
    func observe(_ envelope: EventEnvelope) { count.add(1, ordering: .relaxed) }
}

/// `lander-bench engine [TARGETS]`: 5 steps of `true` on local targets, deployed through the service (the real
/// engine, transport and store), as `lander deploy` does.
func benchEngine(targets: Int, steps: Int = 5, rounds: Int = 3) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lander-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let width = String(targets).count
    let last = String(format: "%0\(width)d", targets)
    let first = String(repeating: "0", count: width - 1) + "1"
    var yaml = """
        project: bench
        environments:
          bench:
            targets:
              "t-[\(first):\(last)]": { roles: [app] }
        steps:

        """
    for step in 1...steps { yaml += "  - { name: s\(step), on: app, run: [\"true\"] }\n" }
    let file = directory.appendingPathComponent("lander.yml").path
    try yaml.write(toFile: file, atomically: true, encoding: .utf8)
    // Through the service, as `lander deploy` runs it: planned, under the project lock, recorded in a store.
    let deployer = Deployer(store: .path(directory.appendingPathComponent("state.db").path))
    var results: [(wall: Double, cpu: Double, children: Double)] = []
    // One warm-up round first (not counted): the first deployment in a process pays for starting its threads.
    for round in 0...rounds {
        let cpu = cpuSeconds(children: false)
        let children = cpuSeconds(children: true)
        let started = ContinuousClock.now
        let handle = try await deployer.deploy(
            DeploymentRequest(project: .file(file), environment: "bench", version: .version("1")),
            observer: CountingObserver())
        let report = try await handle.report()
        let wall = seconds(ContinuousClock.now - started)
        guard report.outcome == .succeeded else {
            print("bench: the deployment failed: \(report.error ?? "?")")
            exit(1)
        }
        if round > 0 {
            results.append((wall, cpuSeconds(children: false) - cpu, cpuSeconds(children: true) - children))
        }
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    let wall = median(results.map(\.wall))
    let cpu = median(results.map(\.cpu))
    let children = median(results.map(\.children))
    let targetSteps = Double(targets * steps)
    print(
        "engine: \(steps) steps of `true` on \(targets) local targets, median of \(rounds) runs after a warm-up, "
            + "\(ProcessInfo.processInfo.activeProcessorCount) cores")
    print(
        String(
            format:
                "  wall, recorded in a store     %8.2f s   (every event journaled, durable before each target-step)",
            wall))
    print(
        String(
            format:
                "  orchestrator CPU              %8.2f s   (Lander's own process: planning, spawning, watching, events)",
            cpu))
    print(
        String(format: "  child processes CPU           %8.2f s   (the %d runs of `true`)", children, targets * steps))
    print(
        String(
            format: "  overhead per target-step      %8.3f ms  (orchestrator CPU / target-steps; aim < 1 ms)",
            cpu / targetSteps * 1000))
    print(String(format: "  wall per target-step          %8.3f ms", wall / targetSteps * 1000))
    print(String(format: "  peak RSS                      %8.1f MiB (aim < 200 MB)", peakRSSMiB()))
}
