import Foundation
import LanderEngine
import Testing

/// Seed 001: steps in sequence, tasks in parallel, halt_on_error, wait_for_finish: false.
@Suite struct ParallelTests {
    static func project(_ steps: String) throws -> TestProject {
        try TestProject(
            yaml: """
                project: parallel
                environments:
                  test:
                    targets:
                      app-[1:2]: { roles: [app] }
                      db-1: { roles: [db] }
                steps:
                """ + "\n" + steps)
    }

    @Test func tasksOfOneStepOverlap() async throws {
        let run = try await Self.project(
            """
              - name: migrate
                tasks:
                  - { name: one, on: db, run: [sleep, "1"] }
                  - { name: two, on: db, run: [sleep, "1"] }
                  - { name: three, on: app, run: [sleep, "1"] }
            """
        ).deploy()
        let records = run.report.records(ofStep: "migrate")
        #expect(records.count == 4)
        #expect(try #require(records.map(\.started).max()) < (try #require(records.map(\.finished).min())))
    }

    @Test func parallelismCapsTargetsAtOnce() async throws {
        let run = try await TestProject(
            yaml: """
                project: capped
                environments:
                  test:
                    targets:
                      app-[1:4]: { roles: [app] }
                steps:
                  - { name: one-by-one, on: app, parallelism: 1, run: [sleep, "0.1"] }
                """
        ).deploy()
        let records = run.report.records(ofStep: "one-by-one").sorted { $0.started < $1.started }
        #expect(records.count == 4)
        for (earlier, later) in zip(records, records.dropFirst()) { #expect(later.started >= earlier.finished) }
    }

    @Test func byDefaultAFailureLetsTheStepFinishButStopsLaterSteps() async throws {
        let project = try Self.project(
            """
              - name: migrate
                tasks:
                  - { name: bad, on: db, run: [sh, -c, "echo broken >&2; exit 3"] }
                  - { name: slow, on: app, run: [sh, -c, "sleep 0.3; echo done > slow.txt"] }
              - { name: later, on: app, run: [touch, later.txt] }
            """)
        let run = try await project.deploy()
        #expect(run.report.outcome == .failed)
        #expect(run.report.error?.contains("`sh -c 'echo broken >&2; exit 3'` exited 3: broken") == true)
        #expect(project.read(".lander/targets/test/app-1/slow.txt") == "done\n")
        #expect(run.report.skippedSteps["later"] != nil)
        #expect(project.read(".lander/targets/test/app-1/later.txt") == nil)
    }

    @Test func haltOnErrorCancelsRunningTasksAndLaterStepsNeverStart() async throws {
        let project = try Self.project(
            """
              - name: migrate
                halt_on_error: true
                tasks:
                  - { name: bad, on: db, run: [sh, -c, "until [ -e ../app-1/long.pid ]; do sleep 0.02; done; exit 1"] }
                  - { name: long, on: app, run: [sh, -c, "echo $$ > long.pid; sleep 30; touch finished.txt"] }
              - { name: later, on: app, run: [touch, later.txt] }
            """)
        let run = try await project.deploy()
        #expect(run.report.outcome == .failed)
        #expect(run.record("migrate", "app-1", task: "long")?.outcome == .cancelled)
        #expect(run.report.records(ofStep: "later").isEmpty)
        #expect(project.read(".lander/targets/test/app-1/later.txt") == nil)
        #expect(project.read(".lander/targets/test/app-1/finished.txt") == nil)
        let pid = try #require(
            Int32(
                project.read(".lander/targets/test/app-1/long.pid")?.trimmingCharacters(in: .whitespacesAndNewlines)
                    ?? ""))
        #expect(await waitUntilGone(pid))
    }

    @Test func aDetachedTaskRunsOnWhileLaterStepsStartAndTheDeploymentWaitsForIt() async throws {
        let project = try Self.project(
            """
              - name: frontend
                on: app
                wait_for_finish: false
                timeout: 30s
                run: [sh, -c, "until [ -e backend.txt ]; do sleep 0.02; done; echo built > frontend.txt"]
              - { name: migrate, on: db, run: [sleep, "0.1"] }
              - { name: backend, on: app, run: [touch, backend.txt] }
            """)
        let run = try await project.deploy()
        #expect(run.report.outcome == .succeeded)
        let frontend = try #require(run.record("frontend", "app-1"))
        let backend = try #require(run.record("backend", "app-1"))
        let migrate = try #require(run.record("migrate", "db-1"))
        #expect(migrate.started < frontend.finished)
        #expect(backend.started < frontend.finished)
        #expect(project.read(".lander/targets/test/app-1/frontend.txt") == "built\n")
    }

    @Test func aDetachedTasksFailureFailsTheDeployment() async throws {
        let run = try await Self.project(
            """
              - { name: frontend, on: app, wait_for_finish: false, run: [sh, -c, "sleep 0.3; exit 4"] }
              - { name: migrate, on: db, run: ["true"] }
            """
        ).deploy()
        #expect(run.report.outcome == .failed)
        #expect(run.record("migrate", "db-1")?.outcome == .succeeded)
        #expect(run.report.error?.contains("exited 4") == true)
    }

    @Test func continueOnErrorToleratesAFailure() async throws {
        let project = try Self.project(
            """
              - { name: optional, on: db, continue_on_error: true, run: ["false"] }
              - { name: later, on: app, run: [touch, later.txt] }
            """)
        let run = try await project.deploy()
        #expect(run.report.outcome == .succeeded)
        if case .tolerated = run.record("optional", "db-1")?.outcome {} else { Issue.record("not tolerated") }
        #expect(project.read(".lander/targets/test/app-2/later.txt") != nil)
    }

    @Test func whenFailureAndAlwaysStepsRunAfterAFailure() async throws {
        let project = try Self.project(
            """
              - { name: broken, on: db, run: ["false"] }
              - { name: normal, on: db, run: [touch, normal.txt] }
              - { name: cleanup, on: db, when: failure, run: [touch, cleanup.txt] }
              - { name: report, on: db, when: always, run: [touch, report.txt] }
            """)
        let run = try await project.deploy()
        #expect(run.report.outcome == .failed)
        #expect(project.read(".lander/targets/test/db-1/normal.txt") == nil)
        #expect(project.read(".lander/targets/test/db-1/cleanup.txt") != nil)
        #expect(project.read(".lander/targets/test/db-1/report.txt") != nil)
    }

    @Test func retriesWithBackoffUntilTheCommandSucceeds() async throws {
        let run = try await Self.project(
            """
              - name: flaky
                on: db
                retries: 2
                retry_backoff: 50ms
                run: [sh, -c, "n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; [ $n -ge 2 ]"]
            """
        ).deploy()
        #expect(run.report.outcome == .succeeded)
        #expect(run.record("flaky", "db-1")?.attempts == 3)
        let retries = run.events.filter { if case .retrying = $0 { true } else { false } }
        #expect(retries.count == 2)
    }

    @Test func aTimeoutStopsTheCommandAndFailsTheTask() async throws {
        let run = try await Self.project(
            """
              - { name: stuck, on: db, timeout: 300ms, run: [sleep, "30"] }
            """
        ).deploy()
        #expect(run.report.outcome == .failed)
        #expect(run.report.error?.contains("timed out after 300ms") == true)
    }
}
