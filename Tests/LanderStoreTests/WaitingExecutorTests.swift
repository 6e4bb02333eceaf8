import Foundation
import LanderModel
import Testing

/// `WaitingExecutor`: tasks whose synchronous calls wait (a store call through a database outage) each hold
/// a thread of their own, so they cannot hold up one another or the rest of the process.
@Suite struct WaitingExecutorTests {
    @Test func jobsThatWaitForEachOtherAllRun() async {
        // Each task holds its thread until all eight have started: on a cooperative pool with fewer threads
        // than that (one per core) the first ones would wait forever for the others to get a thread.
        let executor = WaitingExecutor(maximumThreads: 16)
        let started = Counter()
        let met = await withTaskExecutorPreference(executor) {
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { Self.meet(started, count: 8) } }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        }
        #expect(met == 8, "only \(met) of 8 waiting tasks met")
    }

    @Test func itsThreadsAreBoundedAndEndOnceIdle() async throws {
        let executor = WaitingExecutor(maximumThreads: 2, idleTime: 0.2)
        let (running, most) = (Counter(), Counter())
        await withTaskExecutorPreference(executor) {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { Self.hold(running, most) } }
            }
        }
        #expect(most.value == 2, "at most two at once, and two did run at once")
        for _ in 0..<100 where executor.threadCount > 0 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(executor.threadCount == 0, "idle threads ended")
    }

    @Test func anUnstructuredTaskIsHandedThePreference() async {
        #expect(WaitingExecutor.preferred == nil)
        let inner = await withTaskExecutorPreference(WaitingExecutor.shared) {
            let kept = Task(executorPreference: WaitingExecutor.preferred) { WaitingExecutor.preferred != nil }
            let lost = Task { WaitingExecutor.preferred != nil }
            return (await kept.value, await lost.value)
        }
        #expect(inner == (true, false))
    }

    /// Counts itself in and waits (up to 20 s, holding its thread) until `count` have; whether they did.
    private static func meet(_ started: Counter, count: Int) -> Bool {
        started.add()
        for _ in 0..<2000 {
            if started.value >= count { return true }
            usleep(10_000)
        }
        return false
    }

    /// Holds its thread 100 ms, noting the most running at once.
    private static func hold(_ running: Counter, _ most: Counter) {
        most.raise(to: running.add())
        usleep(100_000)
        running.add(-1)
    }
}

