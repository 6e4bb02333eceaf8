import Foundation
import LanderTesting
import Testing

@Suite struct ValidateCommandTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/x-y-z/lander.yml").path

    @Test func validProjectIsSummarised() async throws {
        let run = try await Lander.run(["validate", "--file", Self.fixture, "-e", "production"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("project 'checkout' is valid: 4 steps, 5 tasks, 2 environments (test, production)"))
    }

    @Test func everyProblemIsPrintedWithItsLocation() async throws {
        let scratch = try Scratch()
        let file = try scratch.file(
            "lander.yml",
            "project: demo\nenvironments:\n  test:\n    targets:\n      a: { roles: [app] }\nsteps:\n  - { name: s, on: ap, run: [true], retries: many }\n"
        )
        let run = try await Lander.run(["validate", "-f", file])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(file):7:46: retries of step 's' must be a whole number ≥ 0, found 'many'"))
        #expect(run.stderr.contains("\(file):7:5: unknown role 'ap' in step 's'; did you mean 'app'?"))
        #expect(run.stderr.contains("has 2 problem(s); nothing was deployed"))
    }

    @Test func aMisspeltKeyDoesNotHideTemplateAndPlanProblemsInTheRestOfTheFile() async throws {
        let scratch = try Scratch()
        let file = try scratch.file(
            "lander.yml",
            """
            project: demo
            environments:
              test:
                targets:
                  a: { roles: [app] }
            steps:
              - { name: s, on: app, run: [sleep, "1"], tiemout: 5s }
              - { name: t, on: app, template: release-dir, with: { keep: many } }
              - { name: u, on: app, run: [echo, "{{nothing_here}}"] }
            """)
        let plugins = DeployCommandTests.repository.appendingPathComponent("Plugins").path
        let run = try await Lander.run(["validate", "-f", file, "--plugins", plugins])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(file):7:44: unknown key 'tiemout'"), "\(run.stderr)")
        #expect(run.stderr.contains("parameter 'keep' of template 'release-dir' must be an integer"), "\(run.stderr)")
        #expect(run.stderr.contains("{{nothing_here}} names no variable"), "\(run.stderr)")
        #expect(run.stderr.contains("has 3 problem(s)"), "\(run.stderr)")
    }

    @Test func unknownEnvironmentNamesTheKnownOnes() async throws {
        let run = try await Lander.run(["validate", "-f", Self.fixture, "-e", "staging"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("no environment 'staging'"))
        #expect(run.stderr.contains("environments are: test, production"))
    }
}

@Suite struct ValidateTemplateTests {
    @Test func validateChecksTemplateParametersWithoutNeedingSecrets() async throws {
        let scratch = try Scratch()
        let file = try scratch.file(
            "lander.yml",
            """
            project: demo
            variables: { token: { secret: LANDER_UNSET_SECRET_FOR_TEST } }
            environments:
              test:
                targets:
                  a: { roles: [app] }
            steps:
              - { name: s, on: app, template: release-dir, with: { keep: many } }
              - { name: t, on: app, run: [echo, "{{token}}"] }
            """)
        let plugins = DeployCommandTests.repository.appendingPathComponent("Plugins").path
        let run = try await Lander.run(["validate", "-f", file, "--plugins", plugins])
        #expect(run.status == 1)
        #expect(
            run.stderr.contains(
                "\(file):8:5: parameter 'keep' of template 'release-dir' must be an integer, found string"))
        #expect(!run.stderr.contains("LANDER_UNSET_SECRET_FOR_TEST"))
        #expect(run.stderr.contains("has 1 problem(s)"))
    }
}

@Suite struct SecretArgumentWarningTests {
    @Test func aSecretPassedAsACommandArgumentIsWarnedAboutWithTheTaskAndTheEnvWay() async throws {
        let scratch = try Scratch()
        let file = try scratch.file(
            "lander.yml",
            """
            project: demo
            variables: { token: { secret: LANDER_TEST_WARN_TOKEN }, plain: hello }
            environments:
              test:
                targets:
                  a: { roles: [app] }
            steps:
              - { name: call, on: app, run: [curl, -H, "Authorization: Bearer {{ vars.token }}", "https://x/{{plain}}"] }
              - { name: safe, on: app, run: [sh, -c, 'curl -H "Authorization: Bearer $TOKEN" x'], env: { TOKEN: "{{token}}" } }
            """)
        let validate = try await Lander.run(["validate", "-f", file])
        #expect(validate.status == 0, "a warning is not a problem: \(validate.stderr)")
        #expect(
            validate.stderr.contains(
                "\(file):8:5: warning: secret 'token' is a command argument of task 'call' (step 'call')"),
            "\(validate.stderr)")
        #expect(validate.stderr.contains("env: { TOKEN: \"{{token}}\" }"))
        #expect(!validate.stderr.contains("'safe'"), "env: is the right way and is not warned about")
        #expect(!validate.stderr.contains("'plain'"))
        let plan = try await Lander.run(
            ["plan", "-e", "test", "-f", file], environment: ["LANDER_TEST_WARN_TOKEN": "t0k3n"])
        #expect(plan.status == 0)
        #expect(plan.stderr.contains("warning: secret 'token' is a command argument of task 'call'"))
    }
}

/// Mistakes in the file and in target roots, said in one sentence at the right place.
@Suite struct SyntaxAndRootMessageTests {
    @Test(arguments: [
        ("project: a\nsteps: []\nproject: b\n", "3:1: key 'project' appears twice in the same mapping"),
        (
            "project: a\nenvironments:\n  t:\n    targets:\n      a: { roles: [x], roles: [y] }\n",
            "5:24: key 'roles' appears twice in the same mapping"
        ),
        (
            "project: a\nsteps:\n  - { name: s, on: app, run: [echo, \"x\u{01}y\"] }\n",
            "3:39: the control character U+0001 is not allowed in YAML"
        ),
    ])
    func aDuplicateKeyOrAControlByteIsReportedWhereItIsInOneSentence(yaml: String, expected: String) async throws {
        let scratch = try Scratch()
        let file = try scratch.file("lander.yml", yaml)
        let run = try await Lander.run(["validate", "-f", file])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(file):\(expected)"), "\(run.stderr)")
        #expect(!run.stderr.contains("Context:") && !run.stderr.contains(":1:1:"), "no parser dump: \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 2, "one sentence, then the count: \(run.stderr)")
    }

    @Test func anUnusableTargetRootNamesTheTargetThePathAndWhatToDo() async throws {
        let scratch = try Scratch()
        let blocker = try scratch.file("blocker", "a file")
        let file = try scratch.file(
            "lander.yml",
            """
            project: roots
            environments:
              test:
                targets:
                  under-a-file: { root: \(blocker)/x, roles: [app] }
                  is-a-file: { root: \(blocker), roles: [app] }
            steps:
              - { name: s, on: app, run: ["true"] }
            """)
        let run = try await Lander.run(["deploy", "-f", file, "-e", "test", "--version", "1", "--plain"])
        #expect(run.status == 1)
        #expect(
            run.stdout.contains(
                "cannot create the root of target 'under-a-file', \(blocker)/x: \(blocker) is a file, not a directory; "
                    + "point root: in lander.yml somewhere else"), "\(run.stdout)")
        #expect(run.stdout.contains("the root of target 'is-a-file', \(blocker), is a file, not a directory"))
        #expect(!run.stdout.contains("NSCocoaErrorDomain") && !run.stderr.contains("NSCocoaErrorDomain"))
    }
}
