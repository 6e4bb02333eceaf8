import Foundation
import LanderTesting
import Testing

/// Fencing: a holder whose claim was taken from it (another process judged it dead and took the lock)
/// stops what runs under the lock at once and fails, both for a step's `lock:` and for `lander.lock` in
/// a template, instead of going on as a holder it no longer is.
extension LockCommandsTests {
    @Test(arguments: ["step", "lua"]) func aHolderWhoseClaimWasTakenStopsWhatRunsUnderItAndFails(how: String)
        async throws
    {
        let scratch = try Scratch()
        let state = scratch.url.appendingPathComponent("state.db").path
        let target = scratch.url.appendingPathComponent("target").path
        // Long enough that only the fencing ends it, however late this (busy) test process takes the claim.
        let hold = #"echo $$ > held.pid; exec sleep 600"#
        _ = try scratch.file(
            "fenced/plugins/migrate/init.lua",
            """
            return lander.template {
              run = function(ctx)
                lander.lock("db-schema", {}, function()
                  ctx.target:run { "sh", "-c", "\(hold)" }
                end)
              end,
            }
            """)
        let step =
            how == "step"
            ? #"- { name: migrate, on: app, lock: db-schema, run: [sh, -c, "\#(hold)"] }"#
            : "- { name: migrate, on: app, template: migrate }"
        let file = try scratch.file(
            "fenced/lander.yml",
            """
            project: fenced
            plugins: [plugins]
            environments:
              prod:
                targets:
                  host: { root: \(target), roles: [app] }
            steps:
              \(step)
            """)
        async let deployed = Lander.run(
            ["deploy", "-f", file, "-e", "prod", "--version", "1", "--plain", "--state", state],
            environment: ["LANDER_LEASE_SECONDS": "1"], timeout: .seconds(300))
        let pidFile = target + "/held.pid"
        try await StoreCommandsTests.waitFor(pidFile)
        // Another process takes the claim away, as one that judged this holder dead would.
        let taken = try await Program.run(
            "/usr/bin/sqlite3", ["-cmd", ".timeout 10000", state, "DELETE FROM lock_claim WHERE name = 'db-schema'"],
            timeout: .seconds(30))
        #expect(taken.status == 0, "\(taken.stderr)")
        let run = try await deployed
        #expect(run.status != 0, "\(run.stdout)")
        #expect((run.stdout + run.stderr).contains("lock 'db-schema' was lost"), "\(run.stdout)\(run.stderr)")
        let pid = Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(pid > 0 && kill(pid, 0) != 0, "the command run under the lost lock still runs")
    }
}
