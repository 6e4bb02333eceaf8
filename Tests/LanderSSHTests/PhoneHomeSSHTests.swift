import Foundation
import LanderEngine
import LanderTesting
import Testing

/// Phone home from SSH targets: the call travels back over the target's own SSH connection (a socket
/// forwarded over its master), so a target needs no route to the orchestrator or to the other cluster.
@Suite struct PhoneHomeSSHTests {
    static func project(_ targets: String, config: String, probe: String = "true") -> String {
        """
        project: zones
        environments:
          test:
            ssh: { config: \(config) }
            targets:
        \(targets)
        jobs:
          open-b:
            callers: [cluster-a]
            steps:
              - name: grant
                on: cluster-b
                run: [sh, -c, 'echo granted >> granted.txt; echo "ticket-from-$LANDER_TARGET"']
        steps:
          - name: x
            on: cluster-a
            run: [sh, -c, '\(probe); echo "$LANDER_CALLBACK_URL" > url.txt; lander-call open-b > answer.json']
        """
    }

    static func read(_ root: String, _ name: String) -> String? {
        (try? String(contentsOfFile: root + "/" + name, encoding: .utf8))?.trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    @Test func aCallFromAnSSHTargetTravelsOverItsOwnConnection() async throws {
        let targets = try await SSHTargets.start(3)
        let roles = ["t1": "cluster-a", "t2": "cluster-a", "t3": "cluster-b"]
        let yaml = Self.project(SSHDeploymentTests.targetsYAML(targets, roles: roles), config: "CONFIG")
        let (report, _) = try await SSHDeploymentTests.deploy(yaml, targets: targets, phoneHome: true)
        #expect(report.outcome == .succeeded, "\(report.error ?? "")")
        let roots = Dictionary(uniqueKeysWithValues: targets.targets.map { ($0.name, $0.root) })
        for caller in ["t1", "t2"] {
            let root = try #require(roots[caller])
            #expect(Self.read(root, "answer.json") == #"{"grant":{"t3":{"exit_code":0,"stdout":"ticket-from-t3"}}}"#)
            let url = Self.read(root, "url.txt") ?? ""
            #expect(url.hasPrefix("unix:\(root)/.lander/home-") && url.hasSuffix(".sock"), "\(url)")
            #expect(
                !FileManager.default.fileExists(atPath: String(url.dropFirst(5))), "the socket is removed at the end")
            #expect(targets.connectionsAccepted(caller) == 1, "one SSH connection carried the commands and the call")
        }
        #expect(Self.read(try #require(roots["t3"]), "granted.txt") == "granted", "the job ran once")
    }

    @Test(.enabled(if: ZonedTargets.available, "network namespaces cannot be made here (needs root and ip netns)"))
    func clusterAReachesNoOneButTheJobOnClusterBStillRuns() async throws {
        let zones = try await ZonedTargets.start(["a:2", "b:1"])
        defer { zones.stop() }
        let b = try #require(zones.targets.first { $0.zone == "b" })
        let lines = zones.targets.map { target in
            "      \(target.name): { ssh: \(target.name), root: \(target.root), roles: [cluster-\(target.zone)] }"
        }
        let probe =
            "if timeout 2 bash -c \"</dev/tcp/\(b.address)/\(b.port)\" 2>/dev/null; then echo reachable > probe.txt; "
            + "else echo unreachable > probe.txt; fi"
        let yaml = Self.project(lines.joined(separator: "\n"), config: zones.config, probe: probe)
        let directory = zones.directory.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("lander.yml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let run = try await Program.run(
            SSHTargets.repository.appendingPathComponent(".build/debug/lander").path,
            ["deploy", "-f", file.path, "-e", "test", "--version", "1.0", "--plain"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        for caller in zones.targets where caller.zone == "a" {
            #expect(Self.read(caller.root, "probe.txt") == "unreachable", "\(caller.name) must not reach cluster B")
            #expect(
                Self.read(caller.root, "answer.json") == #"{"grant":{"b1":{"exit_code":0,"stdout":"ticket-from-b1"}}}"#)
        }
        #expect(Self.read(b.root, "granted.txt") == "granted")
    }
}

/// Targets in security zones (`Scripts/zoned-targets`): a network namespace per zone, reachable from here,
/// not from each other.
final class ZonedTargets: @unchecked Sendable {
    let directory: URL
    let targets: [(name: String, zone: String, address: String, port: Int, root: String)]

    /// Whether network namespaces can be made here (root with `ip netns`).
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") else { return false }
        let name = "lzc\(getpid())"
        guard run(["/usr/sbin/ip", "netns", "add", name]) == 0 else { return false }
        _ = run(["/usr/sbin/ip", "netns", "del", name])
        return true
    }()

    static func start(_ zones: [String]) async throws -> ZonedTargets {
        let directory = URL(fileURLWithPath: "/tmp/lander-zones-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = SSHTargets.repository.appendingPathComponent("Scripts/zoned-targets").path
        guard await SSHTargets.run([script, "start", directory.path] + zones) == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: directory.path])
        }
        let lines = try String(contentsOf: directory.appendingPathComponent("targets"), encoding: .utf8)
        let targets = lines.split(separator: "\n").map { line in
            let parts = line.split(separator: " ").map(String.init)
            return (name: parts[0], zone: parts[1], address: parts[2], port: Int(parts[3]) ?? 0, root: parts[4])
        }
        return ZonedTargets(directory: directory, targets: targets)
    }

    private init(directory: URL, targets: [(name: String, zone: String, address: String, port: Int, root: String)]) {
        self.directory = directory
        self.targets = targets
    }

    var config: String { directory.appendingPathComponent("ssh_config").path }

    /// Stops the sshds and removes the namespaces and links.
    func stop() {
        _ = Self.run([
            SSHTargets.repository.appendingPathComponent("Scripts/zoned-targets").path, "stop", directory.path,
        ])
    }

    private static func run(_ argv: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        } catch {
            return -1
        }
    }
}
