import LanderModel
import Testing

@testable import LanderLoading

/// `rolling:` on steps and tasks.
@Suite struct RollingLoadingTests {
    @Test func aFullPolicyLoads() throws {
        let project = try ProjectLoader.load(
            yaml: base + """
                steps:
                  - name: restart
                    on: app
                    rolling:
                      batch: [1, 25%, 100%]
                      precheck: { hook: http-status, with: { path: /_status, retries: 5 } }
                      drain: { hook: haproxy, with: { socket: /run/haproxy.sock, backend: be } }
                      drain_timeout: 30s
                      settle: 250ms
                      verify: none
                      verify_fleet: version-check
                      stop_target: haproxy.stop_target
                      on_target_failed: notify.webhook
                      max_stopped: 0
                    run: [true]
                """, file: "lander.yml")
        let policy = try #require(project.steps[0].rolling)
        #expect(policy.batches == [.count(1), .percent(25), .percent(100)])
        #expect(
            policy.precheck
                == RollingBinding(reference: "http-status", with: ["path": .string("/_status"), "retries": .int(5)]))
        #expect(policy.drain?.with["backend"] == .string("be"))
        #expect(policy.drainTimeout == .seconds(30))
        #expect(policy.settle == .milliseconds(250))
        #expect(policy.verify == nil)
        #expect(policy.verifyFleet == RollingBinding(reference: "version-check"))
        #expect(policy.stopTarget?.reference == "haproxy.stop_target")
        #expect(policy.onTargetFailed?.reference == "notify.webhook")
        #expect(policy.maxStopped == 0)
    }

    @Test func theDefaultsAreTheSeeds() throws {
        let project = try ProjectLoader.load(
            yaml: base + """
                steps:
                  - { name: restart, on: app, rolling: {}, run: [true] }
                  - name: two
                    tasks:
                      - { on: app, rolling: { batch: 50% }, run: [true] }
                      - { on: db, run: [true] }
                """, file: "lander.yml")
        let policy = try #require(project.steps[0].rolling)
        #expect(policy.batches == [.count(1)])
        #expect(policy.precheck?.reference == "http-status" && policy.verify?.reference == "http-status")
        #expect(policy.drain == nil && policy.verifyFleet?.reference == "version-check")
        #expect(policy.settle == .seconds(60) && policy.drainTimeout == .seconds(60) && policy.maxStopped == 3)
        #expect(project.steps[1].rolling == nil)
        #expect(project.steps[1].tasks[0].options.rolling?.batches == [.percent(50)])
        #expect(project.steps[1].tasks[1].options.rolling == nil)
    }

    @Test func batchesSplitTheTargetsInOrder() {
        var policy = RollingPolicy()
        policy.batches = [.count(1), .percent(25), .percent(100)]
        #expect(policy.split(Array(1...10)) == [[1], [2, 3, 4], [5, 6, 7, 8, 9, 10]])
        policy.batches = [.count(2)]
        #expect(policy.split(Array(1...5)) == [[1, 2], [3, 4], [5]])
        policy.batches = [.percent(30)]
        #expect(policy.split(Array(1...4)) == [[1, 2], [3, 4]], "30% of 4 rounds up to 2")
        #expect(policy.split([Int]()) == [])
    }

    @Test func mistakesAreReportedWithTheirPlace() {
        let found = problems(
            base + """
                steps:
                  - { name: a, on: app, rolling: { batch: 0 }, run: [true] }
                  - { name: b, on: app, rolling: { batch: [1, 150%] }, run: [true] }
                  - { name: c, on: app, rolling: { drain: { with: { socket: x } } }, run: [true] }
                  - { name: d, on: app, rolling: { settle: soon }, run: [true] }
                  - { name: e, on: app, rolling: { batches: 2 }, run: [true] }
                  - name: f
                    on: app
                    rolling: { batch: 1 }
                    tasks:
                      - { run: [true], rolling: { batch: 2 } }
                  - { name: g, on: app, rolling: { batch: [] }, run: [true] }
                """)
        #expect(found.count == 7, "\(found)")
        #expect(found.contains { $0.hasPrefix("lander.yml:8:") && $0.contains("'0' is neither a count") })
        #expect(found.contains { $0.hasPrefix("lander.yml:9:") && $0.contains("'150%' is neither a count") })
        #expect(found.contains { $0.hasPrefix("lander.yml:10:") && $0.contains("needs hook: PLUGIN") })
        #expect(found.contains { $0.hasPrefix("lander.yml:11:") && $0.contains("settle of the rolling step 'd'") })
        #expect(found.contains { $0.hasPrefix("lander.yml:12:") && $0.contains("unknown key 'batches'") })
        #expect(found.contains { $0.contains("its step already rolls all its tasks") })
        #expect(found.contains { $0.contains("is an empty list") })
    }
}
