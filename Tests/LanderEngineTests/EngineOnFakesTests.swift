import Foundation
import LanderEngine
import LanderLoading
import LanderModel
import LanderTesting
import LanderTransport
import Synchronization
import Testing

/// The engine on fakes: a script host of Swift closures, an in-memory journal and a transport that records
/// what it would run. No Lua, no SQLite, no process.
@Suite struct EngineOnFakesTests {
    static let yaml = """
        project: fake
        environments:
          test:
            targets:
              a: { roles: [app] }
              b: { roles: [app] }
        hooks:
          on_failure: [notify]
        steps:
          - { name: build, on: app, run: [make, "{{release.version}}"] }
          - { name: stage, on: app, template: stage, with: { keep: 2 } }
          - { name: use, on: app, run: [use, "{{output.build.stdout}}", "{{output.stage.dir}}"], halt_on_error: true }
          - { name: last, on: app, run: [finish] }
        """

    /// The fake `stage` template: makes a release directory through the connection and hands it on.
    static let stage = FakeScriptHost.Template(
        parameters: ["keep": .init(type: .integer, required: false, defaultValue: .int(5))]
    ) { parameters, context in
        let dir = "releases/\(context.release.version)"
        _ = try await context.connection.run(
            Command(["mkdir", "-p", dir, "--keep=\(parameters["keep"].map(Expression.render) ?? "")"]),
            options: RunOptions())
        return ["dir": .string(dir)]
    }

    /// The outcomes on_failure hooks saw.
    final class Outcomes: Sendable {
        let seen = Mutex<[String]>([])
        var all: [String] { seen.withLock { $0 } }
    }

    struct Setup {
        let deployment: Deployment
        let transports: [String: RecordingTransport]
        let journal: InMemoryJournal
        let failures: Outcomes
    }

    static func setup(answer: @escaping @Sendable (String, Command) -> CommandResult) async throws -> Setup {
        let failures = Outcomes()
        let host = FakeScriptHost(
            templates: ["stage": stage],
            hooks: ["notify": { context in failures.seen.withLock { $0.append(context.outcome) } }])
        let project = try ProjectLoader.load(yaml: yaml, file: "lander.yml")
        let plan = try await Planner(
            project: project, projectDirectory: "/nonexistent", processEnvironment: [:], scripts: host
        ).plan(environment: "test", release: Release(version: "1.0"))
        var transports: [String: RecordingTransport] = [:]
        for name in ["a", "b"] { transports[name] = RecordingTransport(target: name) { answer(name, $0) } }
        let journal = InMemoryJournal()
        let connections = transports
        let deployment = Deployment(
            plan: plan, scripts: host, connect: { connections[$0.name] ?? RecordingTransport(target: $0.name) },
            journal: journal, events: { _ in })
        return Setup(deployment: deployment, transports: transports, journal: journal, failures: failures)
    }

    @Test func stepsRunInOrderOnEveryTargetWithOutputsHandedOnAndEverythingJournaled() async throws {
        let setup = try await Self.setup { target, command in
            command.argv.first == "make"
                ? CommandResult(exitCode: 0, stdout: "built-\(target)\n") : CommandResult(exitCode: 0)
        }
        let report = await setup.deployment.run()
        #expect(report.outcome == .succeeded, "\(report.error ?? "")")
        for target in ["a", "b"] {
            #expect(
                setup.transports[target]?.commands == [
                    ["make", "1.0"], ["mkdir", "-p", "releases/1.0", "--keep=2"],
                    ["use", "built-\(target)", "releases/1.0"],
                    ["finish"],
                ])
        }
        let envelopes = setup.journal.envelopes
        #expect(envelopes.map(\.sequence).sorted() == Array(1...envelopes.count), "numbered without gaps")
        #expect(Set(envelopes.map(\.deployment)) == [setup.deployment.id])
        #expect(
            setup.journal.outputs[TargetStepKey(step: "build", task: "build", target: "a")]?["stdout"]
                == .string("built-a"))
        #expect(setup.journal.flushes >= 8, "durable before and after each target-step")
        #expect(setup.failures.all.isEmpty)
    }

    @Test func aFailureThatHaltsStopsLaterStepsAndRunsOnFailureHooks() async throws {
        let setup = try await Self.setup { target, command in
            command.argv.first == "use" && target == "b"
                ? CommandResult(exitCode: 4, stderr: "no\n") : CommandResult(exitCode: 0)
        }
        let report = await setup.deployment.run()
        #expect(report.outcome == .failed)
        #expect(report.error?.contains("exited 4") == true, "\(report.error ?? "")")
        #expect(setup.transports.values.allSatisfy { !$0.commands.contains(["finish"]) }, "no later step ran")
        #expect(report.skippedSteps["last"] != nil)
        #expect(setup.failures.all == ["failed"], "on_failure ran once, seeing the outcome")
    }
}
