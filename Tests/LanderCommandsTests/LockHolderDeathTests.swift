import Foundation
import LanderTesting
import Testing

/// A lock whose holder dies passes on only once what the holder ran under it is gone.
@Suite struct LockHolderDeathTests {
    /// A one-target project (fixture `locked-step`) whose `critical` step holds `lock: schema` over `command`.
    static func project(_ scratch: Scratch, name: String, command: String) throws -> String {
        try scratch.fixture("locked-step", in: name, ["NAME": name, "LOCK": "lock: schema", "COMMAND": command])
    }

    static func time(_ path: String) -> Double? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap {
            Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Starts project a (holding `schema` over a long command), then b waiting for it, then kills a.
    static func killHolderWhileBWaits(_ scratch: Scratch, sleep: Int) async throws -> (
        a: String, b: Task<Lander.Run, any Error>
    ) {
        let state = scratch.url.appendingPathComponent("state.db").path
        let a = try Self.project(
            scratch, name: "a",
            command: "[ -f started ] && exit 0; date +%s.%N > started; sleep \(sleep); date +%s.%N > ended")
        let b = try Self.project(scratch, name: "b", command: "date +%s.%N > started")
        let holder = try StoreCommandsTests.start(
            ["deploy", "-f", a, "-e", "prod", "--version", "1", "--plain", "--state", state])
        try await StoreCommandsTests.waitFor(scratch.url.appendingPathComponent("a/target/started").path)
        let waiter = Task {
            try await Lander.run(
                ["deploy", "-f", b, "-e", "prod", "--version", "1", "--plain", "--state", state],
                timeout: .seconds(90))
        }
        try await Task.sleep(for: .milliseconds(500))
        kill(holder.processIdentifier, SIGKILL)
        _ = await waitForExit(holder)
        return (a, waiter)
    }

    @Test func aKilledHoldersLockPassesOnOnlyAfterItsCommandEnded() async throws {
        let scratch = try Scratch()
        let (_, waiter) = try await Self.killHolderWhileBWaits(scratch, sleep: 3)
        let run = try await waiter.value
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let ended = try #require(Self.time(scratch.url.appendingPathComponent("a/target/ended").path))
        let started = try #require(Self.time(scratch.url.appendingPathComponent("b/target/started").path))
        #expect(started >= ended, "b's migration started \(ended - started)s before a's ended")
    }

    @Test func resumingTheKilledHolderStopsItsCommandAndLetsTheLockGo() async throws {
        let scratch = try Scratch()
        let state = scratch.url.appendingPathComponent("state.db").path
        let (a, waiter) = try await Self.killHolderWhileBWaits(scratch, sleep: 600)
        let status = try await Lander.run(["status", "--state", state])
        #expect(status.stdout.contains("schema"), "the dead holder's claim is still shown: \(status.stdout)")
        let history = try await Lander.run(["history", "--state", state, "--json", "--project", "a"])
        let id = try #require(try StoreCommandsTests.ids(history.stdout).first?.id)
        let resumed = try await Lander.run(["resume", id, "-f", a, "--state", state], timeout: .seconds(90))
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        let run = try await waiter.value
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(resumed.stdout.contains("stopped what the interrupted run left running"), "\(resumed.stdout)")
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("a/target/ended").path))
    }
}
