import Foundation
import LanderTesting
import Testing

/// `lander plan` and `lander deploy` run as a user would, on a copy of the quickstart example.
@Suite struct DeployCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A copy of examples/quickstart whose plugin path still reaches the repository's Plugins/.
    static func quickstart() throws -> URL {
        let scratch = try Scratch()
        let copy = scratch.url.appendingPathComponent("quickstart")
        try FileManager.default.copyItem(
            at: repository.appendingPathComponent("examples/quickstart"), to: copy)
        try? FileManager.default.removeItem(at: copy.appendingPathComponent(".lander"))
        return copy
    }

    static func lander(_ arguments: [String], in directory: URL) async throws -> Lander.Run {
        try await Lander.run(
            arguments + [
                "-f", directory.appendingPathComponent("lander.yml").path, "--plugins",
                repository.appendingPathComponent("Plugins").path,
            ])
    }

    @Test func planPrintsStepsTasksAndTargets() async throws {
        let project = try Self.quickstart()
        let run = try await Self.lander(["plan", "-e", "production", "--version", "1.2.3"], in: project)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("shop 1.2.3 → production: 5 steps on 6 targets"))
        #expect(run.stdout.contains("web-04  template release-dir with keep=3"))
        #expect(run.stdout.contains("[detached: later steps start while it runs]"))
    }

    @Test func planDrawsTheSeedsPictureAsMermaidAndDot() async throws {
        let project = try Self.quickstart()
        let mermaid = try await Self.lander(["plan", "-e", "test", "--format", "mermaid"], in: project)
        #expect(mermaid.stdout.hasPrefix("flowchart LR"))
        #expect(mermaid.stdout.contains("t2_1 -. runs on .-> done"))
        #expect(mermaid.stdout.contains("subgraph s3[\"3. migrate\"]"))
        let dot = try await Self.lander(["plan", "-e", "test", "--format", "dot"], in: project)
        #expect(dot.stdout.hasPrefix("digraph \"shop\" {"))
        #expect(dot.stdout.contains("t2_1 -> done [style=dashed"))
    }

    @Test func planAsJSONIsMachineReadable() async throws {
        let project = try Self.quickstart()
        let run = try await Self.lander(["plan", "-e", "test", "--format", "json"], in: project)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let steps = try #require(json["steps"] as? [[String: Any]])
        #expect(steps.map { $0["name"] as? String } == ["stage", "frontend", "migrate", "activate", "greet"])
    }

    @Test func planMasksSecretsInEveryFormat() async throws {
        let scratch = try Scratch()
        let file = try scratch.file(
            "lander.yml",
            """
            project: masked
            variables: { password: { secret: LANDER_TEST_DB_PASSWORD } }
            environments:
              test:
                targets:
                  db-1: { roles: [db] }
            steps:
              - { name: login, on: db, run: [psql, "postgres://app:{{password}}@localhost/app"] }
            """)
        for format in ["text", "json", "mermaid"] {
            let run = try await Lander.run(
                ["plan", "-e", "test", "-f", file, "--format", format],
                environment: ["LANDER_TEST_DB_PASSWORD": "s3cr3t-value-42"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stdout.contains("s3cr3t-value-42"), "\(format) leaked the secret")
        }
        let text = try await Lander.run(
            ["plan", "-e", "test", "-f", file], environment: ["LANDER_TEST_DB_PASSWORD": "s3cr3t-value-42"])
        #expect(text.stdout.contains("postgres://app:••••••@localhost/app"))
    }

    @Test func deployRunsTheExampleAndReportsEachTarget() async throws {
        let project = try Self.quickstart()
        let run = try await Self.lander(["deploy", "-e", "test", "--version", "1.0.0"], in: project)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("web-2  activate  ok"))
        #expect(run.stdout.contains("succeeded in"))
        let current = try FileManager.default.destinationOfSymbolicLink(
            atPath: project.appendingPathComponent(".lander/targets/test/web-1/current").path)
        #expect(current.hasSuffix("/releases/1.0.0"))
        // Commands run in the target's root under the project, wherever lander itself was started.
        let greeting = project.appendingPathComponent(".lander/targets/test/web-1/greeting.txt")
        #expect(try String(contentsOf: greeting, encoding: .utf8) == "hello from web-1 (test)\n")
    }

    @Test func deployWithJSONPrintsOneEventPerLine() async throws {
        let project = try Self.quickstart()
        let run = try await Self.lander(["deploy", "-e", "test", "--version", "1.0.0", "--json"], in: project)
        #expect(run.status == 0)
        let events = try run.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(events.first?["event"] as? String == "deployment_started")
        #expect(events.last?["event"] as? String == "deployment_finished")
        #expect(events.last?["outcome"] as? String == "succeeded")
        #expect(events.filter { $0["event"] as? String == "target_finished" }.count == 12)
    }

    @Test func aFailedDeploymentExits1WithTheFirstError() async throws {
        let project = try Self.quickstart()
        let file = project.appendingPathComponent("lander.yml")
        let yaml = try String(contentsOf: file, encoding: .utf8)
            .replacingOccurrences(of: "sleep 0.3 && echo scrubbed", with: "echo scrub failed >&2 && exit 5")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let run = try await Self.lander(["deploy", "-e", "test", "--version", "1.0.0"], in: project)
        #expect(run.status == 1)
        #expect(run.stderr.contains("lander: step 'migrate', task 'scrub' on db-1: "))
        #expect(run.stderr.contains("exited 5: scrub failed"))
        #expect(run.stdout.contains("step activate: skipped, the deployment halted (halt_on_error)"))
    }

    @Test func anInvalidProjectExits2AndRunsNothing() async throws {
        let project = try Self.quickstart()
        let file = project.appendingPathComponent("lander.yml")
        let yaml = try String(contentsOf: file, encoding: .utf8)
            .replacingOccurrences(of: "with: { keep: 3 }", with: "with: { keep: three }")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let run = try await Self.lander(["deploy", "-e", "test", "--version", "1.0.0"], in: project)
        #expect(run.status == 2)
        #expect(run.stderr.contains("lander.yml:29:9: parameter 'keep' of template 'release-dir' must be an integer"))
        #expect(!FileManager.default.fileExists(atPath: project.appendingPathComponent(".lander/targets").path))
    }

    @Test func sigintStopsRunningCommandsRunsCleanupAndExits130() async throws {
        let scratch = try Scratch()
        let file = try scratch.file(
            "lander.yml",
            """
            project: stop
            environments:
              test:
                targets:
                  app-[1:2]: { roles: [app] }
            hooks:
              on_cancel: [notify.file]
            steps:
              - { name: long, on: app, run: [sh, -c, "sleep 60 & echo $! > child.pid; wait"] }
              - { name: never, on: app, run: [touch, never.txt] }
            """)
        let process = Process()
        process.executableURL = try Lander.executable
        process.arguments = [
            "deploy", "-e", "test", "--version", "1", "-f", file, "--plugins",
            Self.repository.appendingPathComponent("Plugins").path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pidFiles = ["app-1", "app-2"].map {
            scratch.url.appendingPathComponent(".lander/targets/test/\($0)/child.pid").path
        }
        var pids: [Int32] = []
        for path in pidFiles {
            for _ in 0..<3000 {
                if let text = try? String(contentsOfFile: path, encoding: .utf8),
                    let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
                {
                    pids.append(pid)
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        #expect(pids.count == 2)
        kill(process.processIdentifier, SIGINT)
        // A bound for a loaded machine, not a speed: cancelling and its cleanup take well under a second idle.
        #expect(await waitForExit(process, timeout: .seconds(60)) == 130)
        for pid in pids { #expect(await isGone(pid), "child \(pid) outlived the cancelled deployment") }
        let log = try String(
            contentsOf: scratch.url.appendingPathComponent(".lander/notifications.log"), encoding: .utf8)
        #expect(log.contains("stop 1 to test: cancelled"))
        #expect(
            !FileManager.default.fileExists(
                atPath: scratch.url.appendingPathComponent(".lander/targets/test/app-1/never.txt").path))
    }
}
