import Foundation
import LanderTesting
import Testing

/// A reader that goes away never stops a deployment.
@Suite struct ClosedOutputTests {
    @Test(arguments: [["--plain"], ["--json"], ["--plain", "-v"]])
    func aDeploymentWhoseOutputIsClosedKeepsDeployingAndExitsWithItsOutcome(_ flags: [String]) async throws {
        let scratch = try Scratch()
        let file = try scratch.fixture("chatty", in: "pipe")
        // `lander deploy … | head -1`: head exits after the first line; lander's later writes meet EPIPE.
        let lander = try Lander.executable.path
        let plugins = DeployCommandTests.repository.appendingPathComponent("Plugins").path
        let script = #"set -o pipefail; "$@" | head -1 > /dev/null"#
        let run = try await Program.run(
            "/bin/bash",
            ["-c", script, "-", lander, "deploy", "-f", file, "-e", "test", "--version", "1", "--plugins", plugins]
                + flags)
        #expect(run.status == 0, "lander's exit through the closed pipe: \(run.status) \(run.stderr)")
        let last = scratch.url.appendingPathComponent("pipe/targets/t1/last.txt").path
        #expect(FileManager.default.fileExists(atPath: last), "the last step never ran")
        let notified = try String(
            contentsOfFile: scratch.url.appendingPathComponent("pipe/.lander/notified.log").path, encoding: .utf8)
        #expect(notified.contains("succeeded"), "post_deploy did not run: \(notified)")
        let history = try await Lander.run(["history", "-f", file, "--json"])
        #expect(try StoreCommandsTests.ids(history.stdout).first?.status == "succeeded")
    }
}
