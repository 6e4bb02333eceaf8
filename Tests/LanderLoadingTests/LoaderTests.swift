import Foundation
import LanderModel
import Testing

@testable import LanderLoading

/// The fixture directory beside this file's suite.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// Loads YAML expected to fail and returns its diagnostics as text.
func problems(_ yaml: String) -> [String] {
    do {
        _ = try ProjectLoader.load(yaml: yaml, file: "lander.yml")
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}

/// A valid project to vary in tests.
let base = """
    project: demo
    environments:
      test:
        targets:
          app-1: { root: t/app-1, roles: [app] }
          db-1: { root: t/db-1, roles: [db] }

    """

@Suite struct LoaderTests {
    @Test func fixtureLoadsWithEveryPart() throws {
        let project = try ProjectLoader.load(file: fixtures.appendingPathComponent("x-y-z/lander.yml").path)
        #expect(project.name == "checkout")
        #expect(project.environments.map(\.name) == ["test", "production"])
        let test = try #require(project.environment(named: "test"))
        #expect(test.targets.map(\.name) == ["app-1", "app-2", "db-1"])
        #expect(test.targets.first?.transport == .local(root: ".lander/targets/test/app-1"))
        #expect(test.roleVariables["app"]?["port"] == .int(8080))
        #expect(
            project.environment(named: "production")?.targets(withRole: "app").map(\.name) == [
                "app-01", "app-02", "app-03",
            ])
        #expect(project.steps.map(\.name) == ["stage", "migrate", "frontend", "activate"])
        let migrate = project.steps[1]
        #expect(migrate.tasks.count == 2)
        #expect(migrate.tasks.allSatisfy { $0.options.haltOnError })
        #expect(migrate.tasks[0].options.timeout == .seconds(300))
        #expect(migrate.tasks[0].options.retries == 2)
        #expect(migrate.tasks[1].options.env == ["MODE": "fast"])
        #expect(project.steps[2].tasks[0].options.waitForFinish == false)
        #expect(project.hooks.map(\.point) == [.postDeploy, .onFailure])
        #expect(project.hooks[1].critical == false)
        #expect(project.hooks[1].with == ["path": .string("failed.txt")])
    }

    @Test func unknownKeySuggestsTheNearestOne() {
        #expect(
            problems(base + "steps:\n  - name: a\n    on: app\n    run: [true]\n    halt_on_eror: true\n") == [
                "lander.yml:11:5: unknown key 'halt_on_eror' in step 1; did you mean 'halt_on_error'?"
            ])
    }

    @Test func unknownRoleNamesTheKnownOnes() {
        #expect(
            problems(base + "steps:\n  - name: migrate\n    on: dbs\n    run: [true]\n") == [
                "lander.yml:8:5: unknown role 'dbs' in step 'migrate'; did you mean 'db'?"
            ])
        #expect(
            problems(base + "steps:\n  - name: migrate\n    on: cache\n    run: [true]\n") == [
                "lander.yml:8:5: unknown role 'cache' in step 'migrate'; roles in the environments are: app, db"
            ])
    }

    @Test func duplicateStepNamesPointAtBoth() {
        #expect(
            problems(base + "steps:\n  - { name: a, on: app, run: [true] }\n  - { name: a, on: db, run: [true] }\n")
                == [
                    "lander.yml:9:5: duplicate step name 'a'; the first is at line 8; step names must be unique"
                ])
    }

    @Test func outputReadBeforeAnyStepSetsIt() {
        let yaml =
            base + """
                steps:
                  - { name: activate, on: app, run: [ln, -s, "{{output.stage.dir}}", current] }
                  - { name: stage, on: app, run: [true] }
                  - { name: seed, on: db, run: [echo, "{{output.stage.dir}}"] }
                  - { name: typo, on: app, run: [echo, "{{output.stgae.dir}}"] }

                """
        #expect(
            problems(yaml) == [
                "lander.yml:8:5: step 'activate' reads output of step 'stage' before that step runs; outputs flow to later steps only",
                "lander.yml:10:5: step 'seed' on role 'db' reads output of step 'stage', which runs on role 'app'; outputs stay on the target that set them",
                "lander.yml:11:5: step 'typo' reads output of step 'stgae' but no step has that name",
            ])
    }

    @Test func everyProblemIsReportedAtOnce() {
        let yaml = """
            project: demo
            environmnets: {}
            hooks:
              post_deploi: [notify.webhook]
            steps:
              - name: a
                on: app
                run: echo hello
              - name: b
                on: app
                timeout: soon
                retries: -1
                when: sometimes
                run: [true]
              - on: app
                run: [true]

            """
        #expect(
            problems(yaml) == [
                "lander.yml:2:1: unknown key 'environmnets' in the project file; did you mean 'environments'?",
                "lander.yml:4:3: unknown hook point 'post_deploi'; did you mean 'post_deploy'?",
                "lander.yml:8:10: run of step 'a' must be a list, found 'echo hello'; commands are argv lists, never shell strings: write run: [echo, hello]",
                "lander.yml:11:14: timeout of step 'b' must be a duration such as 30s, 500ms, 5m or 1h, found 'soon'",
                "lander.yml:12:14: retries of step 'b' must be a whole number ≥ 0, found '-1'",
                "lander.yml:13:11: unknown when: 'sometimes' in step 'b'; use success, failure or always",
                "lander.yml:15:5: step 3 has no name; add name: stage",
            ])
    }

    @Test func taskShapesAreChecked() {
        let yaml =
            base + """
                steps:
                  - { name: both, on: app, run: [true], template: release-dir }
                  - { name: none, on: app }
                  - { name: norole, run: [true] }
                  - { name: empty, on: app, run: [] }

                """
        #expect(
            problems(yaml) == [
                "lander.yml:8:5: step 'both' has both run: and template:; a task does one of them",
                "lander.yml:9:5: step 'none' has nothing to do; add run: [program, args…] or template: NAME",
                "lander.yml:10:5: step 'norole' has no role; add on: ROLE (steps name roles, never hosts)",
                "lander.yml:11:34: run of step 'empty' is empty; give the program and its arguments",
            ])
    }

    @Test func yamlSyntaxErrorHasALocation() {
        let found = problems("project: demo\nsteps:\n  - name: a\n   on: app\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("lander.yml:4:") == true)
        #expect(found.first?.contains("YAML syntax") == true)
    }

    @Test func seedStyleStepsWithTaskNamesAreTemplates() throws {
        let project = try ProjectLoader.load(
            yaml: base + "steps:\n  - step: frontend\n    on: app\n    tasks: [release-dir]\n", file: "lander.yml")
        #expect(project.steps.first?.tasks.first?.action == .template("release-dir", with: [:]))
    }

    @Test(arguments: [
        ("app-[1:3]", ["app-1", "app-2", "app-3"]), ("web-[08:10].x", ["web-08.x", "web-09.x", "web-10.x"]),
        ("db", ["db"]),
    ])
    func targetPatternsExpand(pattern: String, names: [String]) {
        #expect(ProjectLoader.expand(pattern).map(\.name) == names)
    }
}
