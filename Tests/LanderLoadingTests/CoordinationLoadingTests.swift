import LanderModel
import Testing

@testable import LanderLoading

/// `deploy:` and `wait_for:` tasks, `milestone:` on steps, and `lander-workspace.yml`.
@Suite struct CoordinationLoadingTests {
    @Test func deployAndWaitTasksLoadAsTasksThatRunOnce() throws {
        let project = try ProjectLoader.load(
            yaml: """
                project: master
                environments:
                  test:
                    targets:
                      ctl: { roles: [ctl] }
                steps:
                  - name: pay
                    milestone: paid
                    deploy: { project: payments, from: test, environment: production, when: higher, wait: false, timeout: 5m }
                  - name: db
                    wait_for: { project: db, step: migrate, on_missing: continue }
                """, file: "lander.yml")
        #expect(project.steps[0].milestone == "paid")
        guard case .deploy(let deploy) = project.steps[0].tasks[0].action else {
            Issue.record("not a deploy task")
            return
        }
        #expect(deploy.source == .from(environment: "test") && deploy.environment == "production")
        #expect(deploy.when == .higher && !deploy.wait && deploy.timeout == .seconds(300))
        guard case .waitFor(let wait) = project.steps[1].tasks[0].action else {
            Issue.record("not a wait")
            return
        }
        #expect(wait.milestone == "step:migrate" && wait.onMissing == .continue)
        #expect(project.steps.allSatisfy { $0.tasks[0].action.runsOnce })
    }

    @Test func coordinationMistakesAreReportedWithTheirLines() {
        let found = problems(
            """
            project: master
            environments:
              test:
                targets:
                  ctl: { roles: [ctl] }
            steps:
              - { name: a, deploy: { project: payments, version: "1", release: "2" } }
              - { name: b, deploy: { project: payments, version: "1", when: sometimes } }
              - { name: c, on: ctl, deploy: { project: payments, version: "1" } }
              - { name: d, deploy: { version: "1" } }
              - { name: e, wait_for: { project: db } }
              - { name: f, wait_for: { project: db, step: migrate, on_missing: shrug } }
            """)
        #expect(
            found.contains {
                $0.hasPrefix("lander.yml:7:") && $0.contains("exactly one of version:, release: or from:")
            })
        #expect(found.contains { $0.hasPrefix("lander.yml:8:") && $0.contains("unknown when: 'sometimes'") })
        #expect(found.contains { $0.hasPrefix("lander.yml:9:") && $0.contains("drop on:") })
        #expect(found.contains { $0.hasPrefix("lander.yml:10:") && $0.contains("names no project") })
        #expect(found.contains { $0.hasPrefix("lander.yml:11:") && $0.contains("exactly one of milestone: or step:") })
        #expect(found.contains { $0.hasPrefix("lander.yml:12:") && $0.contains("unknown on_missing: 'shrug'") })
    }
}
