import LanderModel
import Testing

@testable import LanderLoading

/// `lock:` and `semaphore:` on steps and tasks.
@Suite struct LockLoadingTests {
    @Test func locksAndSemaphoresLoadOnStepsAndTasks() throws {
        let project = try ProjectLoader.load(
            yaml: base + """
                steps:
                  - { name: migrate, on: db, lock: db-schema, run: [true] }
                  - name: warm
                    tasks:
                      - { on: app, semaphore: { name: api-pool, limit: 2 }, run: [true] }
                      - { on: app, run: [true] }
                """, file: "lander.yml")
        #expect(project.steps[0].lock == LockRequest(name: "db-schema"))
        #expect(project.steps[0].tasks[0].options.lock == nil)
        #expect(project.steps[1].lock == nil)
        #expect(project.steps[1].tasks[0].options.lock == LockRequest(name: "api-pool", limit: 2))
        #expect(project.steps[1].tasks[1].options.lock == nil)
    }

    @Test func lockMistakesAreReported() {
        let found = problems(
            base + """
                steps:
                  - { name: a, on: app, lock: x, semaphore: { name: y, limit: 2 }, run: [true] }
                  - { name: b, on: app, semaphore: { name: y }, run: [true] }
                  - { name: c, on: app, semaphore: { name: y, limit: 0 }, run: [true] }
                  - name: d
                    lock: x
                    tasks:
                      - { on: app, lock: x, run: [true] }
                """)
        #expect(found.contains { $0.contains("step 'a' has both lock: and semaphore:") })
        #expect(found.contains { $0.contains("the semaphore of step 'b' needs a name and a limit") })
        #expect(found.contains { $0.contains("limit of the semaphore of step 'c'") })
        #expect(found.contains { $0.contains("takes lock 'x', which its step already holds") })
    }
}
