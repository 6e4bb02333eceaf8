import Foundation
import LanderEngine
import LanderHTTP
import LanderModel
import LanderService
import LanderTesting
import LanderTransport
import Synchronization
import Testing

/// Deployments over SSH: the quickstart's X → Y → Z, sessions, one connection per target, a target lost mid-way.
@Suite struct SSHDeploymentTests {
    static let repository = SSHTargets.repository

    /// Writes lander.yml (with `CONFIG` replaced by the sshd targets' ssh config) and plugin files into a fresh
    /// directory and deploys it through the service, as `lander deploy` does (recorded in the directory's
    /// store); `whileRunning` gets the handle (to cancel it).
    static func deploy(
        _ yaml: String, targets: SSHTargets, plugins: [String: String] = [:], version: String = "1.0.0",
        packages: [ResolvedPackage] = [], directory: URL? = nil, onEvent: @escaping EventSink = { _ in },
        phoneHome: Bool = false, whileRunning: (@Sendable (DeploymentHandle) async -> Void)? = nil
    ) async throws -> (DeploymentReport, URL) {
        let directory = directory ?? targets.directory.appendingPathComponent("project-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("lander.yml")
        try yaml.replacingOccurrences(of: "CONFIG", with: targets.config).write(
            to: file, atomically: true, encoding: .utf8)
        for (path, source) in plugins {
            let url = directory.appendingPathComponent("plugins/" + path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try source.write(to: url, atomically: true, encoding: .utf8)
        }
        let deployer = Deployer(
            store: .path(directory.appendingPathComponent(".lander/state.db").path), grace: .milliseconds(500),
            listener: phoneHome ? CallbackServer() : nil)
        let request = DeploymentRequest(
            project: .file(file.path), environment: "test", version: .version(version),
            packages: Dictionary(packages.map { ($0.id, $0.version) }) { $1 },
            plugins: [
                directory.appendingPathComponent("plugins").path, repository.appendingPathComponent("Plugins").path,
            ])
        let handle = try await deployer.deploy(request, observer: EventRelay(onEvent))
        if let whileRunning { await whileRunning(handle) }
        return (try await handle.report(), directory)
    }

    /// Hands each event to a function, as the engine sent it.
    struct EventRelay: DeploymentObserver {
        let sink: EventSink
        init(_ sink: @escaping EventSink) { self.sink = sink }
        func started(_ handle: DeploymentHandle) {}
        func observe(_ envelope: EventEnvelope) { sink(envelope.event) }
    }

    static func targetsYAML(_ targets: SSHTargets, roles: [String: String]) -> String {
        targets.targets.map { target in
            "      \(target.name): { ssh: \(target.name), root: \(target.root), roles: [\(roles[target.name] ?? "a")] }"
        }.joined(separator: "\n")
    }

    @Test func xyzOverSSHHandsStateAndASessionFromXToZOnOneConnectionPerTarget() async throws {
        let targets = try await SSHTargets.start(4)
        let yaml = """
            project: xyz
            environments:
              test:
                ssh: { config: CONFIG }
                targets:
            \(Self.targetsYAML(targets, roles: ["t1": "a", "t2": "a", "t3": "b", "t4": "b"]))
            steps:
              - name: x
                tasks:
                  - { name: dir, on: a, template: release-dir, with: { keep: 2 } }
                  - { name: hold, on: a, template: hold }
              - { name: y, on: b, run: [sh, -c, "sleep 0.2; echo migrated {{release.version}} > migrated"] }
              - { name: z, on: a, template: finish }
              - { name: w, on: a, run: [sh, -c, "cat current/VERSION > seen"] }
            """
        let (report, _) = try await Self.deploy(
            yaml, targets: targets,
            plugins: [
                "hold.lua": """
                return lander.template { run = function(ctx)
                  local s = ctx.target:spawn({ "sh", "-c", "echo $$ > holder.pid; exec sleep 600" }, { name = "holder" })
                  ctx.output.pid = s.pid
                end }
                """,
                "finish.lua": """
                return lander.template { run = function(ctx)
                  local s = ctx.target:session("holder")
                  assert(s and s.running, "holder not running on " .. ctx.target.name)
                  ctx.target:run { "ln", "-sfn", ctx.outputs.x.dir, "current" }
                  ctx.target:close("holder")
                end }
                """,
            ], version: "2.0.0")
        #expect(report.outcome == .succeeded, "\(report.error ?? "")")
        for target in targets.targets.prefix(2) {
            #expect(try String(contentsOfFile: target.root + "/seen", encoding: .utf8) == "2.0.0\n")
            let holder = try #require(
                Int32(
                    try String(contentsOfFile: target.root + "/holder.pid", encoding: .utf8).trimmingCharacters(
                        in: .whitespacesAndNewlines)))
            #expect(!runs(holder), "the session's remote process outlived its close")
        }
        for target in targets.targets.suffix(2) {
            #expect(try String(contentsOfFile: target.root + "/migrated", encoding: .utf8) == "migrated 2.0.0\n")
        }
        // Several steps, templates, a session and its close: still one TCP connection per target.
        for target in targets.targets { #expect(targets.connectionsAccepted(target.name) == 1, "\(target.name)") }
    }

    @Test func aTargetLostMidDeploymentFailsForItselfOnly() async throws {
        let targets = try await SSHTargets.start(3)
        let yaml = """
            project: lost
            environments:
              test:
                ssh: { config: CONFIG, options: { ServerAliveInterval: "1", ServerAliveCountMax: "2" } }
                targets:
            \(Self.targetsYAML(targets, roles: [:]))
            steps:
              - { name: first, on: a, run: ["true"] }
              - { name: long, on: a, run: [sh, -c, "touch started.txt; sleep 3; echo done > long.txt"] }
              - { name: later, on: a, run: [touch, later.txt] }
            """
        let (report, _) = try await Self.deploy(
            yaml, targets: targets,
            whileRunning: { _ in
                // Once t2 is busy in 'long', its sshd goes silent (as a crashed machine or a cut cable would).
                let marker = targets.targets[1].root + "/started.txt"
                for _ in 0..<1000 where !FileManager.default.fileExists(atPath: marker) {
                    try? await _Concurrency.Task.sleep(for: .milliseconds(10))
                }
                try? await _Concurrency.Task.sleep(for: .milliseconds(300))
                for pid in targets.sshdProcesses("t2") { kill(pid, SIGKILL) }
            })
        #expect(report.outcome == .failed)
        let lost = report.records.first { $0.target == "t2" && $0.step == "long" }
        if case .failed(let message)? = lost?.outcome {
            #expect(message.contains("connection to t2 was lost"), "\(message)")
        } else {
            Issue.record("t2 did not fail: \(String(describing: lost?.outcome))")
        }
        #expect(report.records.first { $0.target == "t1" && $0.step == "long" }?.outcome == .succeeded)
        #expect(report.records.first { $0.target == "t3" && $0.step == "long" }?.outcome == .succeeded)
        #expect(report.skippedSteps["later"] != nil)
    }

    @Test func cancellingADeploymentStopsRemoteCommands() async throws {
        let targets = try await SSHTargets.start(2)
        let yaml = """
            project: cancel
            environments:
              test:
                ssh: { config: CONFIG }
                targets:
            \(Self.targetsYAML(targets, roles: [:]))
            steps:
              - { name: long, on: a, run: [sh, -c, "sleep 60 & echo $! > child.pid; wait"] }
            """
        let pidFiles = targets.targets.map { $0.root + "/child.pid" }
        let found = Mutex<[Int32]>([])
        let (report, _) = try await Self.deploy(
            yaml, targets: targets,
            whileRunning: { handle in
                for file in pidFiles {
                    for _ in 0..<500 {
                        if let pid = (try? String(contentsOfFile: file, encoding: .utf8))
                            .flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
                        {
                            found.withLock { $0.append(pid) }
                            break
                        }
                        try? await _Concurrency.Task.sleep(for: .milliseconds(10))
                    }
                }
                handle.cancel()
            })
        let pids = found.withLock { $0 }
        #expect(report.outcome == .cancelled)
        #expect(pids.count == 2)
        for pid in pids {
            for _ in 0..<200 where runs(pid) { try await _Concurrency.Task.sleep(for: .milliseconds(10)) }
            #expect(!runs(pid), "remote child \(pid) survived the cancellation")
        }
    }
}

@Suite struct SSHQuickstartTests {
    @Test func theQuickstartExampleDeploysOverSSH() async throws {
        let targets = try await SSHTargets.start(3)
        let example = SSHTargets.repository.appendingPathComponent("examples/quickstart/lander.yml")
        var yaml = try String(contentsOf: example, encoding: .utf8)
        // The example's test environment, with its three machines reached over SSH instead.
        let start = try #require(yaml.range(of: "  test:\n"))
        let end = try #require(yaml.range(of: "  production:\n"))
        let roots = targets.targets.map(\.root)
        yaml.replaceSubrange(
            start.lowerBound..<end.lowerBound,
            with: """
                  test:
                    ssh: { config: CONFIG }
                    targets:
                      web-1: { ssh: t1, root: \(roots[0]), roles: [web] }
                      web-2: { ssh: t2, root: \(roots[1]), roles: [web] }
                      db-1: { ssh: t3, root: \(roots[2]), roles: [db] }

                """)
        yaml = yaml.replacingOccurrences(of: "plugins: [../../Plugins, plugins]", with: "plugins: [plugins]")
        let local = SSHTargets.repository.appendingPathComponent("examples/quickstart/plugins")
        var plugins: [String: String] = [:]
        for name in ["tunnel", "activate"] {
            plugins["\(name)/init.lua"] = try String(
                contentsOf: local.appendingPathComponent("\(name)/init.lua"), encoding: .utf8)
        }
        let (report, directory) = try await SSHDeploymentTests.deploy(
            yaml, targets: targets, plugins: plugins, version: "3.1.4")
        #expect(report.outcome == .succeeded, "\(report.error ?? "")")
        for root in roots.prefix(2) {
            let current = try FileManager.default.destinationOfSymbolicLink(atPath: root + "/current")
            #expect(current == root + "/releases/3.1.4")
            #expect(try String(contentsOfFile: root + "/frontend.txt", encoding: .utf8) == "built 3.1.4\n")
        }
        #expect(try String(contentsOfFile: roots[2] + "/schema.txt", encoding: .utf8) == "schema 3.1.4\n")
        let notes = try String(
            contentsOf: directory.appendingPathComponent(".lander/notifications.log"), encoding: .utf8)
        #expect(notes.contains("shop 3.1.4 to test: succeeded"))
        for target in targets.targets { #expect(targets.connectionsAccepted(target.name) == 1) }
    }
}
