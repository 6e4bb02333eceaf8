import Foundation
import LanderEngine
import Testing

/// `lander.process` in hooks: a program started at one point, seen and stopped at a later one, and stopped
/// by Lander when a hook leaves it running.
@Suite struct HookProcessTests {
    static let plugin = """
        local M = {}
        function M.start(ctx, opts)
          local pid = lander.process.start("sleeper", { "sh", "-c", "echo $$ > sleeper.pid; exec sleep 30" })
          lander.log.info("started " .. pid)
        end
        function M.check(ctx) lander.log.info("running: " .. tostring(lander.process.running("sleeper"))) end
        function M.stop(ctx)
          local result = lander.process.stop("sleeper")
          lander.log.info("stopped: " .. tostring(result and result.exit_code))
        end
        function M.twice(ctx)
          lander.process.start("sleeper", { "sleep", "30" })
          lander.process.start("sleeper", { "sleep", "30" })
        end
        return M
        """

    static func project(_ hooks: String) throws -> TestProject {
        try TestProject(
            yaml: """
                project: procs
                environments:
                  test:
                    targets:
                      a: { roles: [app] }
                hooks:
                \(hooks)
                steps:
                  - { name: s, on: app, run: [true] }
                """, plugins: ["procs.lua": plugin])
    }

    @Test func aProcessLivesFromOneHookToALaterOne() async throws {
        let project = try Self.project(
            "  pre_upload: [procs.start]\n  post_step: [procs.check]\n  finally: [procs.stop, procs.check]")
        let run = try await project.deploy()
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        #expect(run.logs.filter { $0.hasPrefix("running:") } == ["running: true", "running: false"])
        #expect(run.logs.contains("stopped: 143"), "SIGTERM ended it: \(run.logs)")
        let pid = try #require(
            Int32(try await waitForFile(project.path("sleeper.pid")).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await waitUntilGone(pid))
    }

    @Test func aProcessAHookLeftRunningIsStoppedAtTheEnd() async throws {
        let project = try Self.project("  pre_upload: [procs.start]")
        let run = try await project.deploy()
        #expect(run.report.outcome == .succeeded)
        #expect(run.logs.contains("stopped 'sleeper', which a hook started and left running"), "\(run.logs)")
        let pid = try #require(
            Int32(try await waitForFile(project.path("sleeper.pid")).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await waitUntilGone(pid))
    }

    @Test func twoProcessesCannotShareAName() async throws {
        let project = try Self.project("  pre_upload: [procs.twice]")
        let run = try await project.deploy()
        #expect(run.report.outcome == .failed)
        #expect(
            run.report.error?.contains("a process named 'sleeper' is already running") == true,
            "\(run.report.error ?? "")")
    }
}
