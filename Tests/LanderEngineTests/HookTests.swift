import Foundation
import LanderEngine
import Testing

@Suite struct HookTests {
    static let recorder = """
        local M = {}
        for _, point in ipairs({ "pre_acquire", "pre_upload", "post_upload", "pre_step", "post_step",
                                 "post_deploy", "on_failure", "on_cancel", "finally" }) do
          M[point] = function(ctx, opts)
            lander.fs.write("hooks.log", point .. " " .. (ctx.step or "-") .. " " .. ctx.deployment.outcome .. "\\n",
              { append = true })
          end
        end
        function M.explode(ctx, opts) error("hook exploded") end
        return M
        """

    static func project(hooks: String, steps: String) throws -> TestProject {
        try TestProject(
            yaml: """
                project: hooked
                environments:
                  test:
                    targets:
                      app-1: { roles: [app] }
                hooks:
                """ + "\n" + hooks + "\nsteps:\n" + steps,
            plugins: ["rec.lua": recorder])
    }

    @Test func hooksRunAtTheirPointsInOrder() async throws {
        let project = try Self.project(
            hooks: """
                  pre_acquire: [rec.pre_acquire]
                  pre_upload: [rec.pre_upload]
                  post_upload: [rec.post_upload]
                  pre_step: [rec.pre_step]
                  post_step: [rec.post_step]
                  post_deploy: [rec.post_deploy]
                  on_failure: [rec.on_failure]
                  finally: [rec.finally]
                """,
            steps: """
                  - { name: one, on: app, run: ["true"] }
                  - { name: two, on: app, run: ["true"] }
                """)
        let run = try await project.deploy()
        #expect(run.report.outcome == .succeeded)
        #expect(
            project.read("hooks.log")?.split(separator: "\n") == [
                "pre_acquire - running", "pre_upload - running", "post_upload - running", "pre_step one running",
                "post_step one running", "pre_step two running", "post_step two running",
                "post_deploy - succeeded", "finally - succeeded",
            ])
    }

    @Test func aFailingHookNeverHidesTheOriginalError() async throws {
        let project = try Self.project(
            hooks: """
                  on_failure:
                    - { hook: rec.explode, critical: true }
                    - rec.on_failure
                  finally: [rec.explode, rec.finally]
                """,
            steps: """
                  - { name: one, on: app, run: [sh, -c, "echo original-problem >&2; exit 2"] }
                """)
        let run = try await project.deploy()
        #expect(run.report.outcome == .failed)
        #expect(run.report.error?.contains("original-problem") == true)
        #expect(run.report.hookErrors.count == 2)
        #expect(
            run.report.hookErrors.allSatisfy { $0.contains("rec.lua:9: hook exploded") }, "\(run.report.hookErrors)")
        // Later hooks still ran after one failed.
        #expect(project.read("hooks.log") == "on_failure - failed\nfinally - failed\n")
    }

    @Test func aCriticalPreHookFailureStopsTheDeploymentBeforeAnyStep() async throws {
        let project = try Self.project(
            hooks: """
                  pre_upload: [rec.explode]
                  on_failure: [rec.on_failure]
                """,
            steps: """
                  - { name: one, on: app, run: [touch, ran.txt] }
                """)
        let run = try await project.deploy()
        #expect(run.report.outcome == .failed)
        #expect(run.report.error?.contains("pre_upload hook rec.explode failed") == true)
        #expect(project.read(".lander/targets/test/app-1/ran.txt") == nil)
        #expect(project.read("hooks.log") == "on_failure - failed\n")
    }

    @Test func aBestEffortHookFailureDoesNotFailTheDeployment() async throws {
        let run = try await Self.project(
            hooks: """
                  post_deploy: [rec.explode]
                """,
            steps: """
                  - { name: one, on: app, run: ["true"] }
                """
        ).deploy()
        #expect(run.report.outcome == .succeeded)
        #expect(run.report.hookErrors.count == 1)
    }

    @Test func aPluginDeclaredWithLanderPluginServesItsHooksByPoint() async throws {
        let project = try Self.project(
            hooks: """
                  post_deploy:
                    - { hook: notify, with: { path: notes/deploys.log } }
                """,
            steps: """
                  - { name: one, on: app, run: ["true"] }
                """)
        let run = try await project.deploy(version: "3.0.0")
        #expect(run.report.outcome == .succeeded, "\(run.report.hookErrors)")
        #expect(project.read("notes/deploys.log")?.contains("hooked 3.0.0 to test: succeeded") == true)
    }

    @Test func hooksCannotWriteOutsideTheProject() async throws {
        let project = try TestProject(
            yaml: """
                project: escape
                environments:
                  test:
                    targets:
                      app-1: { roles: [app] }
                hooks:
                  post_deploy: [bad.write]
                steps:
                  - { name: one, on: app, run: ["true"] }
                """,
            plugins: ["bad.lua": "return { write = function() lander.fs.write('../../etc/evil', 'x') end }"])
        let run = try await project.deploy()
        #expect(run.report.hookErrors.first?.contains("outside the project directory") == true)
    }
}

@Suite struct WebhookTests {
    static func project(url: String) throws -> TestProject {
        try TestProject(
            yaml: """
                project: hooked
                environments:
                  test:
                    targets:
                      app-1: { roles: [app] }
                hooks:
                  post_deploy:
                    - { hook: notify.webhook, with: { url: "\(url)" } }
                steps:
                  - { name: one, on: app, run: ["true"] }
                """)
    }

    @Test func notifyWebhookPostsASummaryToARealListener() async throws {
        let listener = try HTTPListener()
        let run = try await Self.project(url: "http://127.0.0.1:\(listener.port)/deploys").deploy(version: "4.2.0")
        #expect(run.report.outcome == .succeeded, "\(run.report.hookErrors)")
        #expect(listener.requests == ["POST /deploys HTTP/1.1"])
        let body = try #require(listener.received.first)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(json["outcome"] as? String == "succeeded")
        #expect(json["version"] as? String == "4.2.0")
        #expect((json["summary"] as? String)?.contains("hooked 4.2.0 to test: succeeded") == true)
    }

    @Test func anUnreachableWebhookIsABestEffortHookError() async throws {
        let listener = try HTTPListener(status: 503)
        let run = try await Self.project(url: "http://127.0.0.1:\(listener.port)/deploys").deploy()
        #expect(run.report.outcome == .succeeded)
        #expect(run.report.hookErrors.first?.contains("HTTP 503") == true, "\(run.report.hookErrors)")
    }
}

@Suite struct HookPlanningTests {
    @Test func aPluginInUseAttachesItsHooksAtTheirPoints() async throws {
        let project = try TestProject(
            yaml: """
                project: used
                use:
                  - { plugin: notify, with: { path: used.log } }
                environments:
                  test:
                    targets:
                      app-1: { roles: [app] }
                steps:
                  - { name: one, on: app, run: ["true"] }
                """)
        let plan = try await project.plan()
        #expect(plan.hooks.map(\.point) == [.postDeploy, .onFailure, .onCancel])
        let run = try await project.deploy()
        #expect(run.report.outcome == .succeeded)
        #expect(project.read("used.log")?.contains("used 1.0.0 to test: succeeded") == true)
    }

    @Test func unknownHooksAreReportedBeforeAnythingRuns() async throws {
        let project = try TestProject(
            yaml: """
                project: hooks
                environments:
                  test:
                    targets:
                      app-1: { roles: [app] }
                hooks:
                  post_deploy: [notify.fiel]
                  finally: [nowhere.at_all]
                steps:
                  - { name: one, on: app, run: [touch, ran.txt] }
                """)
        let error = await #expect(throws: PlanError.self) { try await project.plan() }
        let text = error?.description ?? ""
        #expect(
            text.contains("lander.yml:7:17: post_deploy hook notify.fiel: module 'notify' has no function 'fiel'"),
            "\(text)")
        #expect(
            text.contains("lander.yml:8:13: finally hook nowhere.at_all: module 'nowhere' not found (tried"), "\(text)")
    }
}
