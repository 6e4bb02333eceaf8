import Foundation
import LanderTesting
import Testing

/// Resume reaches the same end as an uninterrupted run, for projects that hold a session between steps.
@Suite struct ResumeSessionTests {
    /// Every file and directory under the project's targets, relative, without the tunnel's heartbeat.
    static func listing(_ project: URL) -> [String] {
        let root = project.appendingPathComponent(".lander/targets")
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        var paths: [String] = []
        while let path = enumerator?.nextObject() as? String { paths.append(path) }
        return paths.sorted()
    }

    @Test func theQuickstartKilledDuringMigrateResumesToTheSameEndAsAnUninterruptedRun() async throws {
        let gate = try Scratch().file("gate", "")
        let killed = try DeployCommandTests.quickstart()
        let file = killed.appendingPathComponent("lander.yml")
        let yaml = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
            of: "sleep 0.3 && echo schema",
            with: "touch migrating; while [ -f \(gate) ]; do sleep 0.05; done; echo schema")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let plugins = DeployCommandTests.repository.appendingPathComponent("Plugins").path
        let process = try StoreCommandsTests.start(
            ["deploy", "-f", file.path, "-e", "test", "--version", "1.0.0", "--plain", "--plugins", plugins])
        try await StoreCommandsTests.waitFor(killed.appendingPathComponent(".lander/targets/test/db-1/migrating").path)
        kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit(process)
        try FileManager.default.removeItem(atPath: gate)

        let history = try await Lander.run(["history", "-f", file.path, "--json"])
        let record = try #require(try StoreCommandsTests.ids(history.stdout).first)
        #expect(record.status == "interrupted")
        let resumed = try await Lander.run(["resume", record.id, "-f", file.path, "--plain"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(!resumed.stderr.contains("is not running"), "\(resumed.stderr)")
        #expect(
            resumed.stdout.contains("web-1  stage/release-dir  ok (done by the interrupted run)"),
            "what the interrupted run did is not shown as run again: \(resumed.stdout)")
        for web in ["web-1", "web-2"] {
            let current = try FileManager.default.destinationOfSymbolicLink(
                atPath: killed.appendingPathComponent(".lander/targets/test/\(web)/current").path)
            #expect(current.hasSuffix("/releases/1.0.0"), "\(web): \(current)")
        }

        let uninterrupted = try DeployCommandTests.quickstart()
        let straight = try await DeployCommandTests.lander(
            ["deploy", "-e", "test", "--version", "1.0.0"], in: uninterrupted)
        #expect(straight.status == 0)
        #expect(
            Self.listing(killed).filter { $0 != "test/db-1/migrating" } == Self.listing(uninterrupted),
            "the resumed run left the targets otherwise than an uninterrupted one")
        // The session stage reopened was closed by activate: its heartbeat stops.
        let heartbeat = killed.appendingPathComponent(".lander/targets/test/web-1/tunnel.heartbeat").path
        let before = try String(contentsOfFile: heartbeat, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try String(contentsOfFile: heartbeat, encoding: .utf8) == before, "the session still runs")
    }
}
