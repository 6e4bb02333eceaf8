import Foundation

/// Threads for tasks whose synchronous calls may wait a long time on something outside the process (the
/// PostgreSQL store through an outage: up to its 60 s reconnect window). The cooperative pool has one
/// thread per core; a call that waits there holds one of them, and two such calls on a two-core machine
/// stop every other task of the process — a step's timeout, a lease's renewal, an API answer — until the
/// database is back. Here a waiting job holds a thread of its own: when every thread is busy and a job
/// is queued, another thread starts (up to `maximumThreads`), and a thread idle for a while ends.
///
/// Used as a task executor preference (`withTaskExecutorPreference`, `Task(executorPreference:)`): the
/// task and its child tasks run here. Unstructured tasks do not inherit a preference, so code that starts
/// one passes `WaitingExecutor.preferred` on.
public final class WaitingExecutor: TaskExecutor, @unchecked Sendable {
    /// The process's executor.
    public static let shared = WaitingExecutor(maximumThreads: 64)

    /// The maximum number of threads.
    public let maximumThreads: Int
    private let idleTime: Double
    // The state below is guarded by `condition` (a condition variable cannot wait on a `Mutex`).
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var idle = 0
    private var threads = 0

    /// An executor with at most `maximumThreads` threads, each ending after `idleTime` seconds without work.
    public init(maximumThreads: Int, idleTime: Double = 10) {
        self.maximumThreads = max(1, maximumThreads)
        self.idleTime = idleTime
    }

    /// The shared executor when the current task prefers it (to hand on to an unstructured task), else nil.
    public static var preferred: WaitingExecutor? {
        let ours = shared.asUnownedTaskExecutor()
        return withUnsafeCurrentTask { $0?.unownedTaskExecutor == ours } ? shared : nil
    }

    /// How many threads it has now.
    public var threadCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return threads
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        // A queued job no idle thread will take: another thread, within the bound.
        let starts = jobs.count - head > idle && threads < maximumThreads
        if starts { threads += 1 }
        if idle > 0 { condition.signal() }
        condition.unlock()
        if starts {
            let thread = Thread { [self] in work() }
            thread.name = "lander.waiting"
            thread.start()
        }
    }

    /// A thread's life: run queued jobs; end after `idleTime` with nothing to do.
    private func work() {
        condition.lock()
        while true {
            if let job = next() {
                condition.unlock()
                job.runSynchronously(on: asUnownedTaskExecutor())
                condition.lock()
                continue
            }
            idle += 1
            let signalled = condition.wait(until: Date(timeIntervalSinceNow: idleTime))
            idle -= 1
            if !signalled, head == jobs.count {
                threads -= 1
                condition.unlock()
                return
            }
        }
    }

    /// The oldest queued job (with `condition` held); the queue's storage is reclaimed once it empties.
    private func next() -> UnownedJob? {
        guard head < jobs.count else { return nil }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }
}
