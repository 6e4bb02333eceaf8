import Foundation
import LanderEngine
import LanderStore

/// `lander-bench store`: events the journal records per second (durably, group-committed), and lock
/// round trips per second between two processes contending for one lock — on an SQLite file, and on the
/// PostgreSQL database `LANDER_BENCH_POSTGRES` names (an empty one; `Scripts/bench store` starts it).
func benchStore() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lander-store-bench-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try await benchStore(at: directory.appendingPathComponent("state.db").path, label: "SQLite WAL, synchronous=FULL")
    if let url = ProcessInfo.processInfo.environment["LANDER_BENCH_POSTGRES"], !url.isEmpty {
        try await benchStore(at: url, label: "PostgreSQL 15 on loopback (fsync on)")
    }
}

/// The store figures for one store.
private func benchStore(at path: String, label: String) async throws {
    let store = try StateStore.open(at: path)
    let clock = ContinuousClock()

    // A deployment of 1,000 targets × 5 steps as the engine reports it: started, an output line, finished;
    // the engine waits for the journal twice per target-step.
    var rates: [Double] = []
    for round in 0..<5 {
        let id = "bench-\(round)"
        try store.begin(
            NewDeployment(
                id: id, project: "bench", environment: "prod", version: "1", variables: [:], projectFile: path,
                pluginPath: []))
        let journal = StoreJournal(store: store, deploymentID: id)
        let events = 1000 * 5 * 3
        let elapsed = try await clock.measure {
            for step in 0..<5 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for target in 0..<1000 {
                        group.addTask {
                            let name = "t\(target)"
                            let stepName = "s\(step)"
                            journal.record(.targetStarted(step: stepName, task: stepName, target: name))
                            try await journal.flush()
                            journal.record(
                                .output(step: stepName, task: stepName, target: name, line: "ok", isError: false))
                            journal.record(
                                .targetFinished(
                                    step: stepName, task: stepName, target: name, outcome: .succeeded,
                                    duration: .milliseconds(1), exitCode: 0))
                            try await journal.flush()
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
        journal.record(.deploymentFinished(outcome: .succeeded, duration: elapsed, error: nil))
        try await journal.flush()
        journal.close()
        rates.append(Double(events) / seconds(elapsed))
    }
    rates.sort()
    let eventsPerSecond = rates[rates.count / 2]

    // Two processes take and let go of the same lock in turn.
    let rounds = 300
    let start = clock.now
    let others = try (0..<2).map { _ -> Process in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["store-locker", path, String(rounds)]
        try process.run()
        return process
    }
    for process in others { process.waitUntilExit() }
    let lockRate = Double(rounds * 2) / seconds(clock.now - start)

    print("store: \(label)")
    print(String(format: "  events recorded/s (1,000 targets × 5 steps, median of 5) %10.0f", eventsPerSecond))
    print(
        String(
            format: "  target-steps/s the store sustains                        %10.0f   (each 3 events, 2 waits)",
            eventsPerSecond / 3))
    print(String(format: "  lock acquire+release round trips/s, 2 processes          %10.0f", lockRate))
}

/// One contender of the lock benchmark: takes and lets go of `bench-lock` `rounds` times.
func storeLocker(path: String, rounds: Int) async throws {
    let store = try StateStore.open(at: path)
    let locks = StoreLocks(store: store, owner: "bench \(getpid())")
    for _ in 0..<rounds {
        let lease = try await locks.acquire("bench-lock", limit: 1) { _ in }
        await lease.release()
    }
}
