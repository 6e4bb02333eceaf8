import Foundation
import LanderTesting
import Testing

/// The state store as a user meets it: history, show, logs, kill -9 and resume, abandon, rollback, locks.
@Suite struct StoreCommandsTests {
    /// A project of two local targets under `scratch`, with the given steps (YAML lines under `steps:`).
    static func project(_ scratch: Scratch, name: String = "shop", steps: String, variables: String = "") throws
        -> String
    {
        try scratch.file(
            "\(name)/lander.yml",
            """
            project: \(name)
            \(variables)
            environments:
              prod:
                targets:
                  t1: { root: \(scratch.url.path)/\(name)/targets/t1, roles: [app] }
                  t2: { root: \(scratch.url.path)/\(name)/targets/t2, roles: [app] }
            steps:
            \(steps)
            """)
    }

    static func ids(_ json: String) throws -> [(id: String, status: String, kind: String, version: String)] {
        let list = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
        return list.map {
            (
                $0["id"] as? String ?? "", $0["status"] as? String ?? "", $0["kind"] as? String ?? "",
                $0["version"] as? String ?? ""
            )
        }
    }

    @Test func historyShowAndLogsRecordADeploymentWithSecretsMasked() async throws {
        let scratch = try Scratch()
        let file = try Self.project(
            scratch,
            steps: """
                  - { name: build, on: app, run: [sh, -c, "echo building $LANDER_TARGET; echo token=$TOKEN"], env: { TOKEN: "{{token}}" } }
                  - { name: check, on: app, run: [sh, -c, "echo warn >&2; exit 0"] }
                """,
            variables: "variables:\n  token: { secret: SHOP_TOKEN }")
        let deploy = try await Lander.run(
            ["deploy", "-f", file, "-e", "prod", "--version", "1.0", "--plain"],
            environment: ["SHOP_TOKEN": "hunter2-secret"])
        #expect(deploy.status == 0, "\(deploy.stderr)")
        let history = try await Lander.run(["history", "-f", file, "--json"])
        let records = try Self.ids(history.stdout)
        #expect(records.count == 1)
        let id = try #require(records.first?.id)
        #expect(records.first?.status == "succeeded")
        #expect(!history.stdout.contains("hunter2"))

        let show = try await Lander.run(["show", id, "-f", file])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("status   succeeded"))
        #expect(show.stdout.contains("step build"))
        #expect(show.stdout.contains("t2  succeeded"))
        #expect(show.stdout.contains("exit 0"))

        let logs = try await Lander.run(["logs", String(id.prefix(17)), "-f", file, "--target", "t1"])
        #expect(logs.status == 0, "\(logs.stderr)")
        #expect(logs.stdout.contains("t1  build  | building t1"))
        #expect(logs.stdout.contains("t1  check  ! warn"))
        #expect(!logs.stdout.contains("t2"))
        #expect(logs.stdout.contains("token=••••••"))
        #expect(!logs.stdout.contains("hunter2"))
        let database = try Data(contentsOf: scratch.url.appendingPathComponent("shop/.lander/state.db"))
        #expect(database.range(of: Data("hunter2".utf8)) == nil, "the secret reached the state file")

        let unknown = try await Lander.run(["show", "nope", "-f", file])
        #expect(unknown.status == 3)
        #expect(unknown.stderr.contains("no deployment nope"))
    }

    /// Starts `lander deploy` in the background.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = try Lander.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits (bounded) for a file to exist.
    static func waitFor(_ path: String) async throws {
        for _ in 0..<3000 where !FileManager.default.fileExists(atPath: path) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(FileManager.default.fileExists(atPath: path), "\(path) never appeared")
    }

    /// Steps whose middle one blocks while `gate` exists; each appends to a per-target log of what ran.
    static func gatedSteps(_ gate: String) -> String {
        """
          - { name: fetch, on: app, run: [sh, -c, "echo fetch >> ran.log; echo v$LANDER_RELEASE > fetched"] }
          - { name: migrate, on: app, run: [sh, -c, "echo $$ > migrate.pid; while [ -f \(gate) ]; do sleep 0.05; done; echo migrate >> ran.log; cat fetched > migrated"] }
          - { name: switch, on: app, run: [sh, -c, "echo switch >> ran.log; echo \\"{{output.fetch.stdout}}\\" > switched"] }
        """
    }

    @Test func aKilledDeploymentIsInterruptedRefusesNewOnesAndResumesToTheSameEnd() async throws {
        let scratch = try Scratch()
        let gate = scratch.url.appendingPathComponent("gate").path
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        let file = try Self.project(scratch, steps: Self.gatedSteps(gate))
        let targets = scratch.url.appendingPathComponent("shop/targets")
        let process = try Self.start(["deploy", "-f", file, "-e", "prod", "--version", "7", "--plain"])
        for target in ["t1", "t2"] {
            try await Self.waitFor(targets.appendingPathComponent("\(target)/migrate.pid").path)
        }
        kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit(process)
        // The orchestrator is gone; its commands are stopped by hand, as an operator (or a reboot) would.
        for target in ["t1", "t2"] {
            let text = try String(contentsOf: targets.appendingPathComponent("\(target)/migrate.pid"), encoding: .utf8)
            if let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) { kill(pid, SIGKILL) }
        }
        try FileManager.default.removeItem(atPath: gate)

        let status = try await Lander.run(["status", "-f", file])
        #expect(status.stdout.contains("interrupted"), "\(status.stdout)")
        let history = try Self.ids(try await Lander.run(["history", "-f", file, "--json"]).stdout)
        let id = try #require(history.first?.id)
        #expect(history.first?.status == "interrupted")
        let show = try await Lander.run(["show", id, "-f", file])
        #expect(show.stdout.contains("t1  succeeded"))
        #expect(show.stdout.contains("step migrate"))

        let refused = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--version", "8", "--plain"])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("lander resume \(id)"))
        #expect(refused.stderr.contains("lander abandon \(id)"))

        let resumed = try await Lander.run(["resume", id, "-f", file, "--plain"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stderr.contains("2 task run(s) finished before the interruption"))
        let after = try Self.ids(try await Lander.run(["history", "-f", file, "--json"]).stdout)
        #expect(after.count == 1 && after.first?.status == "succeeded")

        // The same end as a deployment that was never interrupted.
        let clean = try Scratch()
        let cleanFile = try Self.project(clean, steps: Self.gatedSteps(clean.url.appendingPathComponent("gate").path))
        let straight = try await Lander.run(["deploy", "-f", cleanFile, "-e", "prod", "--version", "7", "--plain"])
        #expect(straight.status == 0, "\(straight.stderr)")
        for target in ["t1", "t2"] {
            for name in ["ran.log", "fetched", "migrated", "switched"] {
                let resumedText = try String(
                    contentsOf: targets.appendingPathComponent("\(target)/\(name)"), encoding: .utf8)
                let cleanText = try String(
                    contentsOf: clean.url.appendingPathComponent("shop/targets/\(target)/\(name)"), encoding: .utf8)
                #expect(resumedText == cleanText, "\(target)/\(name)")
            }
        }
        let ran = try String(contentsOf: targets.appendingPathComponent("t1/ran.log"), encoding: .utf8)
        #expect(ran == "fetch\nmigrate\nswitch\n", "fetch ran again or a step was lost: \(ran)")
    }

    @Test func resumeStopsTheSessionsTheInterruptedRunLeftOpen() async throws {
        let scratch = try Scratch()
        let gate = scratch.url.appendingPathComponent("gate").path
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        _ = try scratch.file(
            "shop/plugins/tunnel/init.lua",
            """
            return lander.template {
              run = function(ctx)
                local session = ctx.target:spawn({ "sleep", "300" }, { name = "tunnel" })
                ctx.target:run { "sh", "-c", "echo $1 > tunnel.pid", "-", tostring(session.pid) }
              end,
            }
            """)
        let file = try Self.project(
            scratch,
            steps: """
                  - { name: open, on: app, template: tunnel }
                  - { name: wait, on: app, run: [sh, -c, "echo $$ > wait.pid; while [ -f \(gate) ]; do sleep 0.05; done"] }
                """,
            variables: "plugins: [plugins]")
        let targets = scratch.url.appendingPathComponent("shop/targets")
        let process = try Self.start(["deploy", "-f", file, "-e", "prod", "--version", "1", "--plain"])
        for target in ["t1", "t2"] { try await Self.waitFor(targets.appendingPathComponent("\(target)/wait.pid").path) }
        kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit(process)
        var tunnels: [Int32] = []
        for target in ["t1", "t2"] {
            let text = try String(contentsOf: targets.appendingPathComponent("\(target)/tunnel.pid"), encoding: .utf8)
            tunnels.append(try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))))
            let waiting = try String(contentsOf: targets.appendingPathComponent("\(target)/wait.pid"), encoding: .utf8)
            if let pid = Int32(waiting.trimmingCharacters(in: .whitespacesAndNewlines)) { kill(pid, SIGKILL) }
        }
        for pid in tunnels { #expect(kill(pid, 0) == 0, "the session should outlive a killed lander") }
        try FileManager.default.removeItem(atPath: gate)
        let id = try #require(try Self.ids(try await Lander.run(["history", "-f", file, "--json"]).stdout).first?.id)
        let resumed = try await Lander.run(["resume", id, "-f", file, "--plain"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("stopped session 'tunnel'"), "\(resumed.stdout)")
        for pid in tunnels { #expect(await isGone(pid), "session \(pid) left by the interrupted run still runs") }
    }

    @Test func anAbandonedDeploymentLetsTheNextOneStart() async throws {
        let scratch = try Scratch()
        let gate = scratch.url.appendingPathComponent("gate").path
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        let file = try Self.project(scratch, steps: Self.gatedSteps(gate))
        let process = try Self.start(["deploy", "-f", file, "-e", "prod", "--version", "1", "--plain"])
        let pidFile = scratch.url.appendingPathComponent("shop/targets/t1/migrate.pid").path
        try await Self.waitFor(pidFile)
        kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit(process)
        try FileManager.default.removeItem(atPath: gate)
        let id = try #require(try Self.ids(try await Lander.run(["history", "-f", file, "--json"]).stdout).first?.id)
        let abandon = try await Lander.run(["abandon", id, "-f", file, "--reason", "fixed by hand"])
        #expect(abandon.status == 0, "\(abandon.stderr)")
        let again = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--version", "2", "--plain"])
        #expect(again.status == 0, "\(again.stderr)")
        let history = try Self.ids(try await Lander.run(["history", "-f", file, "--json"]).stdout)
        #expect(history.map(\.status) == ["succeeded", "abandoned"])
        let show = try await Lander.run(["show", id, "-f", file])
        #expect(show.stdout.contains("note     fixed by hand"))
    }

    @Test func rollbackRedeploysThePreviousReleaseWithItsVariablesOnEveryTarget() async throws {
        let scratch = try Scratch()
        let file = try Self.project(
            scratch,
            steps: """
                  - { name: release, on: app, run: [sh, -c, "mkdir -p releases/$LANDER_RELEASE && echo \\"{{flavour}}\\" > releases/$LANDER_RELEASE/flavour && ln -sfn releases/$LANDER_RELEASE current"] }
                """,
            variables: "variables:\n  flavour: { env: FLAVOUR }")
        let first = try await Lander.run(
            ["deploy", "-f", file, "-e", "prod", "--version", "1.0", "--plain"], environment: ["FLAVOUR": "vanilla"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await Lander.run(
            ["deploy", "-f", file, "-e", "prod", "--version", "2.0", "--plain"], environment: ["FLAVOUR": "mint"])
        #expect(second.status == 0, "\(second.stderr)")
        let rollback = try await Lander.run(
            ["rollback", "-f", file, "-e", "prod", "--plain"], environment: ["FLAVOUR": "changed-since"])
        #expect(rollback.status == 0, "\(rollback.stdout)\(rollback.stderr)")
        #expect(rollback.stderr.contains("rolling back shop on prod to 1.0"))
        for target in ["t1", "t2"] {
            let current = scratch.url.appendingPathComponent("shop/targets/\(target)/current")
            let link = try FileManager.default.destinationOfSymbolicLink(atPath: current.path)
            #expect(link == "releases/1.0")
            let flavour = try String(contentsOf: current.appendingPathComponent("flavour"), encoding: .utf8)
            #expect(flavour == "vanilla\n", "the rollback did not use the recorded variables")
        }
        let history = try Self.ids(try await Lander.run(["history", "-f", file, "--json"]).stdout)
        #expect(history.first?.kind == "rollback" && history.first?.version == "1.0")
        let none = try await Lander.run(["rollback", "-f", file, "-e", "prod", "--to", "9.9"])
        #expect(none.status == 3)
        #expect(none.stderr.contains("no successful deployment of shop 9.9"))
    }

    @Test func aStateFileThatIsNotAStoreIsRefusedAndLeftAlone() async throws {
        let scratch = try Scratch()
        let file = try Self.project(scratch, steps: "  - { name: a, on: app, run: [true] }")
        let state = try scratch.file("shop/.lander/state.db", "my notes, not a database\n")
        let before = try Data(contentsOf: URL(fileURLWithPath: state))
        let run = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--version", "1"])
        #expect(run.status == 3)
        #expect(run.stderr.contains("is not a Lander state store"))
        #expect(run.stderr.contains("--state"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: state)) == before)
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("shop/targets/t1").path))
    }
}
