import Foundation
import LanderTesting
import Testing

/// Locks and semaphores between separate `lander` processes and projects sharing one state store.
@Suite struct LockCommandsTests {
    /// A one-target project (fixture `locked-step`) whose `critical` step holds `lock` and records its interval
    /// in `intervals`.
    static func project(_ scratch: Scratch, name: String, lock: String, intervals: String) throws -> String {
        try scratch.fixture(
            "locked-step", in: name,
            [
                "NAME": name, "LOCK": lock,
                "COMMAND": #"s=$(date +%s.%N); sleep 0.3; echo \"$s $(date +%s.%N) "# + name + #"\" >> "# + intervals,
            ])
    }

    /// Start and end times of what each process recorded.
    static func intervals(_ path: String) throws -> [(start: Double, end: Double, who: String)] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            let words = line.split(separator: " ")
            return (Double(words[0]) ?? 0, Double(words[1]) ?? 0, String(words[2]))
        }
    }

    /// The most intervals open at one moment (a sweep over starts and ends; an end comes before a start
    /// at the same instant).
    static func mostAtOnce(_ intervals: [(start: Double, end: Double, who: String)]) -> Int {
        var edges: [(at: Double, change: Int)] = []
        for interval in intervals {
            edges.append((interval.start, 1))
            edges.append((interval.end, -1))
        }
        edges.sort { first, second in
            first.at < second.at || (first.at == second.at && first.change < second.change)
        }
        var open = 0
        var most = 0
        for edge in edges {
            open += edge.change
            most = max(most, open)
        }
        return most
    }

    static func deployAll(_ files: [String], state: String) async throws -> [Lander.Run] {
        try await withThrowingTaskGroup(of: Lander.Run.self) { group in
            for file in files {
                group.addTask {
                    try await Lander.run(
                        ["deploy", "-f", file, "-e", "prod", "--version", "1", "--plain", "--state", state])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func twoProjectsSharingALockNeverOverlapInTheLockedStep() async throws {
        let scratch = try Scratch()
        let intervals = scratch.url.appendingPathComponent("intervals").path
        let state = scratch.url.appendingPathComponent("shared/state.db").path
        let files = try ["billing", "search"].map {
            try Self.project(scratch, name: $0, lock: "lock: db-schema", intervals: intervals)
        }
        for _ in 0..<4 {
            let runs = try await Self.deployAll(files, state: state)
            for run in runs { #expect(run.status == 0, "\(run.stdout)\(run.stderr)") }
        }
        let recorded = try Self.intervals(intervals)
        #expect(recorded.count == 8)
        #expect(Self.mostAtOnce(recorded) == 1, "two projects were in the locked step at once: \(recorded)")
    }

    @Test func aSemaphoreOfTwoNeverHasThreeHolders() async throws {
        let scratch = try Scratch()
        let intervals = scratch.url.appendingPathComponent("intervals").path
        let state = scratch.url.appendingPathComponent("shared/state.db").path
        let files = try ["a", "b", "c", "d"].map {
            try Self.project(
                scratch, name: $0, lock: "semaphore: { name: api-pool, limit: 2 }", intervals: intervals)
        }
        for _ in 0..<2 {
            let runs = try await Self.deployAll(files, state: state)
            for run in runs { #expect(run.status == 0, "\(run.stdout)\(run.stderr)") }
        }
        let recorded = try Self.intervals(intervals)
        #expect(recorded.count == 8)
        #expect(Self.mostAtOnce(recorded) <= 2, "more than two held the semaphore: \(recorded)")
    }

    @Test func luaLanderLockKeepsTwoProjectsOutOfEachOther() async throws {
        let scratch = try Scratch()
        let intervals = scratch.url.appendingPathComponent("intervals").path
        let state = scratch.url.appendingPathComponent("shared/state.db").path
        let files = try ["billing", "search"].map { name in
            _ = try scratch.file(
                "\(name)/plugins/migrate/init.lua",
                """
                return lander.template {
                  run = function(ctx)
                    local got = lander.lock("db-schema", { limit = 1 }, function()
                      ctx.target:run { "sh", "-c", "s=$(date +%s.%N); sleep 0.3; echo \\"$s $(date +%s.%N) \(name)\\" >> \(intervals)" }
                      return "done"
                    end)
                    ctx.output.got = got
                  end,
                }
                """)
            return try scratch.file(
                "\(name)/lander.yml",
                """
                project: \(name)
                plugins: [plugins]
                environments:
                  prod:
                    targets:
                      host: { root: \(scratch.url.path)/\(name)/target, roles: [app] }
                steps:
                  - { name: migrate, on: app, template: migrate }
                  - { name: check, on: app, run: [test, "{{output.migrate.got}}", "=", done] }
                """)
        }
        for _ in 0..<3 {
            let runs = try await Self.deployAll(files, state: state)
            for run in runs { #expect(run.status == 0, "\(run.stdout)\(run.stderr)") }
        }
        let recorded = try Self.intervals(intervals)
        #expect(recorded.count == 6)
        #expect(Self.mostAtOnce(recorded) == 1, "two scripts held lander.lock at once: \(recorded)")
    }

    @Test func aWaitingDeploymentSaysSoAndNoWaitFailsAtOnce() async throws {
        let scratch = try Scratch()
        let gate = scratch.url.appendingPathComponent("gate").path
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        let file = try scratch.file(
            "shop/lander.yml",
            """
            project: shop
            environments:
              prod:
                targets:
                  host: { root: \(scratch.url.path)/shop/target, roles: [app] }
            steps:
              - { name: wait, on: app, run: [sh, -c, "touch started; while [ -f \(gate) ]; do sleep 0.05; done"] }
            """)
        let first = try StoreCommandsTests.start(["deploy", "-f", file, "-e", "prod", "--version", "1", "--plain"])
        try await StoreCommandsTests.waitFor(scratch.url.appendingPathComponent("shop/target/started").path)
        let refused = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--version", "2", "--no-wait"])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("shop → prod is being deployed"))
        let status = try await Lander.run(["status", "-f", file])
        #expect(status.stdout.contains("lock deploy:shop/prod  held by shop → prod"), "\(status.stdout)")
        async let second = Lander.run(["deploy", "-f", file, "-e", "prod", "--version", "3", "--plain"])
        // The gate opens once the second deployment is queued behind the first.
        var queued = false
        for _ in 0..<100 where !queued {
            try await Task.sleep(for: .milliseconds(100))
            queued = try await Lander.run(["status", "-f", file]).stdout.contains("wanted by shop → prod")
        }
        #expect(queued, "the second deployment never queued for the project lock")
        try FileManager.default.removeItem(atPath: gate)
        let waited = try await second
        #expect(await waitForExit(first) == 0)
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(waited.stderr.contains("waiting: shop → prod is being deployed by"), "\(waited.stderr)")
    }

    @Test func aLockHeldByAKilledProcessIsTakenOver() async throws {
        let scratch = try Scratch()
        let state = scratch.url.appendingPathComponent("shared/state.db").path
        let gate = scratch.url.appendingPathComponent("gate").path
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        let holder = try scratch.file(
            "holder/lander.yml",
            """
            project: holder
            environments:
              prod:
                targets:
                  host: { root: \(scratch.url.path)/holder/target, roles: [app] }
            steps:
              - { name: hold, on: app, lock: db-schema, run: [sh, -c, "echo $$ > pid; while [ -f \(gate) ]; do sleep 0.05; done"] }
            """)
        let intervals = scratch.url.appendingPathComponent("intervals").path
        let taker = try Self.project(scratch, name: "taker", lock: "lock: db-schema", intervals: intervals)
        let process = try StoreCommandsTests.start(
            ["deploy", "-f", holder, "-e", "prod", "--version", "1", "--plain", "--state", state])
        let pidFile = scratch.url.appendingPathComponent("holder/target/pid").path
        try await StoreCommandsTests.waitFor(pidFile)
        kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit(process)
        if let pid = Int32(
            try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGKILL)
        }
        let run = try await Lander.run(
            ["deploy", "-f", taker, "-e", "prod", "--version", "1", "--plain", "--state", state],
            environment: ["LANDER_LEASE_SECONDS": "2"], timeout: .seconds(30))
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try Self.intervals(intervals).count == 1)
        try? FileManager.default.removeItem(atPath: gate)
    }
}
