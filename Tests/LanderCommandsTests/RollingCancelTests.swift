import Foundation
import LanderTesting
import Testing

/// A rollout cut short by SIGTERM can be finished: resumed, or deployed again, behind a real HAProxy. Part of
/// the serialized rolling suite: two HAProxy fleets under load at once on two cores fail health checks.
extension RollingTests {
    /// A project over the fleet whose restart, on a target holding `slow`, first stops the backend and then
    /// takes 30 s: cancelled there, the target is drained and its service down.
    static func cancellableProject(_ fleet: RollingFleet) throws -> String {
        let restart = RollingFleet.fixtures.appendingPathComponent("restart.sh").path
        let targets = fleet.backendPorts.enumerated().map { index, port in
            (
                "t\(index + 1)", index,
                ", haproxy_server: s\(index + 1), status_url: \"http://127.0.0.1:\(port)/_status\", "
                    + "version_url: \"http://127.0.0.1:\(port)/_version\""
            )
        }
        let slow =
            #"if [ -f slow ]; then kill -9 $(cat backend.pid); touch started; sleep 30; fi; exec \"$0\" \"$1\" \"$2\" \"$3\""#
        return try Self.haproxyProject(
            fleet, rolling: "{ batch: 1, drain: \(Self.drain(fleet)), settle: 0s }", targets: targets,
            run: #"[sh, -c, "\#(slow)", "\#(restart)", "{{server}}", "{{port}}", "{{release.version}}"]"#)
    }

    /// Deploys v2 and sends SIGTERM while t2 is being restarted; returns the deployment's id.
    static func cancelDuringT2(_ fleet: RollingFleet, _ file: String) async throws -> String {
        let slow = fleet.target(1).appendingPathComponent("slow").path
        _ = FileManager.default.createFile(atPath: slow, contents: nil)
        let process = try StoreCommandsTests.start(["deploy", "-f", file, "-e", "prod", "--version", "v2"])
        try await StoreCommandsTests.waitFor(fleet.target(1).appendingPathComponent("started").path)
        kill(process.processIdentifier, SIGTERM)
        #expect(await waitForExit(process, timeout: .seconds(30)) == 130)
        try FileManager.default.removeItem(atPath: slow)
        let states = try await fleet.states()
        #expect(states["s2"] == "MAINT", "the cut-short target stays out of the pool: \(states)")
        let history = try await Lander.run(["history", "-f", file, "--json"])
        let record = try #require(try StoreCommandsTests.ids(history.stdout).first)
        #expect(record.status == "cancelled")
        return record.id
    }

    @Test func aCancelledRolloutResumesToTheWholeFleetOnTheNewVersion() async throws {
        let fleet = try await RollingFleet(count: 4, version: "v1")
        defer { fleet.stop() }
        let file = try Self.cancellableProject(fleet)
        let id = try await Self.cancelDuringT2(fleet, file)
        let resumed = try await Lander.run(["resume", id, "-f", file, "--plain"], timeout: .seconds(120))
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("t2  [info] out of the pool since deployment \(id)"), "\(resumed.stdout)")
        #expect(try await fleet.upServers() == 4, "every server back in the pool")
        for index in 0..<4 { #expect(await fleet.version(index) == "v2", "t\(index + 1)") }
        #expect(resumed.stdout.contains("all 4 targets on v2"), "\(resumed.stdout)")
        let history = try await Lander.run(["history", "-f", file, "--json"])
        #expect(try StoreCommandsTests.ids(history.stdout).first?.status == "succeeded")
    }

    @Test func aNewDeploymentAfterACancelledRolloutDeploysTheTargetsItLeftOut() async throws {
        let fleet = try await RollingFleet(count: 4, version: "v1")
        defer { fleet.stop() }
        let file = try Self.cancellableProject(fleet)
        let id = try await Self.cancelDuringT2(fleet, file)
        let run = try await Lander.run(
            ["deploy", "-f", file, "-e", "prod", "--version", "v3", "--plain"], timeout: .seconds(120))
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("t2  [info] out of the pool since deployment \(id)"), "\(run.stdout)")
        #expect(!run.stdout.contains("not on the new version"), "\(run.stdout)")
        #expect(try await fleet.upServers() == 4, "no target is left in MAINT")
        for index in 0..<4 { #expect(await fleet.version(index) == "v3", "t\(index + 1)") }
    }
}
