import Foundation
import LanderEngine
import LanderModel
import Testing

@Suite struct TemplateTests {
    static let typed = """
        return lander.template {
          params = {
            name = { type = "string", required = true },
            count = { type = "integer", default = 2 },
            ratio = { type = "number", default = 0.5 },
            loud = { type = "boolean", default = false },
            tags = { type = "list", default = {} },
            extra = { type = "map", required = false },
          },
          run = function(ctx, p)
            ctx.target:run { "sh", "-c", "echo $1 $2 $3 > params.txt", "-", p.name, p.count, #p.tags }
            ctx.output.name = p.name
          end,
        }
        """

    static func project(_ task: String, plugins: [String: String] = ["typed.lua": typed]) throws -> TestProject {
        try TestProject(
            yaml: """
                project: templates
                variables: { who: world }
                environments:
                  test:
                    targets:
                      app-1: { roles: [app] }
                steps:
                """ + "\n" + task,
            plugins: plugins)
    }

    @Test func parametersAreValidatedFilledAndPassed() async throws {
        let project = try Self.project(
            "  - { name: t, on: app, template: typed, with: { name: \"{{who}}\", tags: [a, b, c] } }")
        let run = try await project.deploy()
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        #expect(project.read(".lander/targets/test/app-1/params.txt") == "world 2 3\n")
    }

    @Test(arguments: [
        ("with: { name: x, count: five }", "parameter 'count' of template 'typed' must be an integer, found string"),
        ("with: { count: 3 }", "missing required parameter 'name' (string) of template 'typed'"),
        (
            "with: { name: x, cuont: 3 }",
            "unknown parameter 'cuont' for template 'typed' in task 't'; did you mean 'count'?"
        ),
        ("with: { name: x, loud: 1 }", "parameter 'loud' of template 'typed' must be a boolean, found integer"),
    ])
    func badParametersAreReportedAtPlanTimeWithTheTasksLine(with: String, message: String) async throws {
        let project = try Self.project("  - { name: t, on: app, template: typed, \(with) }")
        let error = await #expect(throws: PlanError.self) { try await project.plan() }
        let diagnostic = try #require(error?.diagnostics.first)
        #expect(diagnostic.description.contains(message), "\(diagnostic)")
        #expect(diagnostic.location?.line == 8)
        #expect(diagnostic.location?.file.hasSuffix("lander.yml") == true)
    }

    @Test func anUnknownTemplateSuggestsTheClosestName() async throws {
        let project = try Self.project("  - { name: t, on: app, template: typd, with: { name: x } }")
        let error = await #expect(throws: PlanError.self) { try await project.plan() }
        #expect(error?.description.contains("unknown template 'typd' in task 't'; did you mean 'typed'?") == true)
    }

    @Test func everyProblemIsReportedAtOnce() async throws {
        let project = try Self.project(
            """
              - { name: a, on: app, template: typed, with: { count: x } }
              - { name: b, on: app, template: nothing-like-it }
              - { name: c, on: app, run: [echo, "{{undefined_variable}}"] }
            """)
        let error = await #expect(throws: PlanError.self) { try await project.plan() }
        let lines = error?.diagnostics.compactMap(\.location?.line) ?? []
        #expect(lines == [8, 8, 9, 10])
    }

    @Test func aLuaErrorInATemplateNamesThePluginFileAndLine() async throws {
        let project = try Self.project(
            "  - { name: t, on: app, template: broken }",
            plugins: [
                "broken/init.lua": """
                return lander.template {
                  run = function(ctx)
                    local settings = nil
                    return settings.port
                  end,
                }
                """
            ])
        let run = try await project.deploy()
        #expect(run.report.outcome == .failed)
        #expect(
            run.report.error?.contains("broken/init.lua:4: attempt to index a nil value") == true,
            "\(run.report.error ?? "")")
    }

    @Test func aCommandFailingInsideATemplateFailsTheTaskUnlessChecked() async throws {
        let project = try Self.project(
            """
              - { name: t, on: app, template: tolerant }
              - { name: u, on: app, template: strict }
            """,
            plugins: [
                "tolerant.lua": """
                return lander.template { run = function(ctx)
                  local r = ctx.target:run({ "sh", "-c", "exit 7" }, { check = false })
                  ctx.output.code = r.exit_code
                  local ok, err = ctx.target:try_run { "sh", "-c", "exit 8" }
                  assert(ok == nil and err:find("exited 8"), tostring(err))
                end }
                """,
                "strict.lua": "return lander.template { run = function(ctx) ctx.target:run { \"false\" } end }",
            ])
        let run = try await project.deploy()
        #expect(run.record("t", "app-1")?.outcome == .succeeded)
        #expect(run.report.error?.contains("strict.lua:1: `false` exited 1") == true, "\(run.report.error ?? "")")
        #expect(run.report.hookErrors.isEmpty)
    }

    @Test func aTemplatesTimeoutStopsItsCommands() async throws {
        let project = try Self.project(
            "  - { name: t, on: app, timeout: 300ms, template: slow }",
            plugins: ["slow.lua": "return lander.template { run = function(ctx) ctx.target:run { 'sleep', '30' } end }"]
        )
        let run = try await project.deploy()
        #expect(run.report.error?.contains("timed out after 300ms") == true, "\(run.report.error ?? "")")
    }

    @Test func secretsAreMaskedInEventsAndErrors() async throws {
        let project = try TestProject(
            yaml: """
                project: secret
                variables:
                  token: { secret: LANDER_TEST_TOKEN }
                environments:
                  test:
                    targets:
                      app-1: { roles: [app] }
                steps:
                  - { name: leak, on: app, run: [sh, -c, "echo using {{token}}; echo bad {{token}} >&2; exit 1"] }
                """)
        let run = try await project.deploy(env: ["LANDER_TEST_TOKEN": "hunter2-very-secret"])
        #expect(run.report.error?.contains("bad ••••••") == true)
        let texts = run.events.map { "\($0)" }.joined(separator: "\n") + (run.report.error ?? "")
        #expect(!texts.contains("hunter2-very-secret"))
        let plan = try await project.plan(env: ["LANDER_TEST_TOKEN": "hunter2-very-secret"])
        #expect(plan.secrets.mask("x hunter2-very-secret y") == "x •••••• y")
    }

    @Test func aMissingSecretIsAPlanError() async throws {
        let project = try TestProject(
            yaml: """
                project: secret
                variables:
                  token: { secret: LANDER_TEST_MISSING_TOKEN }
                environments:
                  test:
                    targets:
                      app-1: { roles: [app] }
                steps:
                  - { name: s, on: app, run: [echo, "{{token}}"] }
                """)
        let error = await #expect(throws: PlanError.self) { try await project.plan() }
        #expect(error?.description.contains("export LANDER_TEST_MISSING_TOKEN") == true)
    }
}
