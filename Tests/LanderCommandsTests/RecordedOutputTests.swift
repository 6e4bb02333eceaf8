import Foundation
import LanderTesting
import Testing

/// What the output and the record say about steps that were cancelled, skipped, taken from the record,
/// and about hooks and script log lines.
@Suite struct RecordedOutputTests {
    @Test func showListsSkippedStepsAndHooksAndLogsFindTemplateLinesByStep() async throws {
        let project = try DeployCommandTests.quickstart()
        let file = project.appendingPathComponent("lander.yml")
        let yaml = try String(contentsOf: file, encoding: .utf8)
            .replacingOccurrences(of: "sleep 0.3 && echo scrubbed", with: "echo scrub failed >&2 && exit 5")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let run = try await DeployCommandTests.lander(["deploy", "-e", "test", "--version", "1.0.0"], in: project)
        #expect(run.status == 1)
        let history = try await Lander.run(["history", "-f", file.path, "--json"])
        let id = try #require(try StoreCommandsTests.ids(history.stdout).first?.id)
        let show = try await Lander.run(["show", id, "-f", file.path])
        #expect(show.stdout.contains("step activate: skipped, the deployment halted (halt_on_error)"), "\(show.stdout)")
        #expect(show.stdout.contains("hook on_failure notify.file: ok"), "\(show.stdout)")
        let logs = try await Lander.run(["logs", id, "-f", file.path, "--step", "stage"])
        #expect(logs.stdout.contains("session 'tunnel' open"), "template log lines carry their step: \(logs.stdout)")
        let json = try await Lander.run(["deploy", "-f", file.path, "-e", "test", "--version", "1.0.1", "--json"])
        let tunnelLog = json.stdout.split(separator: "\n").first { $0.contains("session 'tunnel' open") } ?? ""
        #expect(tunnelLog.contains("\"step\":\"stage\"") && tunnelLog.contains("\"task\":\"tunnel\""), "\(tunnelLog)")
    }

    @Test func aCancelledStepAndTargetSayCancelled() async throws {
        let scratch = try Scratch()
        let file = try scratch.file(
            "c/lander.yml",
            """
            project: c
            environments:
              test:
                targets:
                  t1: { root: \(scratch.url.path)/c/t1, roles: [app] }
            steps:
              - { name: long, on: app, run: [sh, -c, "touch started; sleep 30"] }
              - { name: never, on: app, run: ["true"] }
            """)
        let output = scratch.url.appendingPathComponent("out.txt")
        // Started and reaped here (not by Foundation, whose own reaping can race a waitpid of ours).
        let pid = try spawnHelper([
            "/bin/sh", "-c", #"exec "$@" > "$0" 2>/dev/null"#, output.path, try Lander.executable.path, "deploy", "-f",
            file, "-e", "test", "--version", "1", "--plain",
        ])
        try await StoreCommandsTests.waitFor(scratch.url.appendingPathComponent("c/t1/started").path)
        kill(pid, SIGTERM)
        let status = await waitForExit(pid: pid, timeout: .seconds(30))
        if status == nil { kill(pid, SIGKILL) }
        #expect(status == 130, "\((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(text.contains("step long: cancelled"), "\(text)")
        #expect(text.contains("t1  long  cancelled"), "\(text)")
        #expect(!text.contains("step long: finished"))
    }
}
