import Foundation

/// Threads for tasks whose synchronous calls may wait a long time on something outside the process (the
/// PostgreSQL store through an outage: up to its 60 s reconnect window). The cooperative pool has one
/// thread per core; a call that waits there holds one of them, and two such calls on a two-core machine
/// stop every other task of the process — a step's timeout, a lease's renewal, an API answer — until the
/// database is back. Here, as on the pool, one thread per core starts at once; beyond that a watcher adds
/// a thread whenever queued work has found no free thread for a few milliseconds (the others are waiting,
/// or busy), up to `maximumThreads`; a thread idle for a while ends. Short jobs thus run on about as many
/// threads as cores, and a job that waits never keeps the rest queued for more than a moment.
///
/// Used as a task executor preference (`withTaskExecutorPreference`, `Task(executorPreference:)`): the
/// task and its child tasks run here. Unstructured tasks do not inherit a preference, so code that starts
/// one passes `WaitingExecutor.preferred` on. Decision 0020.
public final class WaitingExecutor: TaskExecutor, @unchecked Sendable {
    /// The process's executor.
    public static let shared = WaitingExecutor(maximumThreads: 64)

    /// The maximum number of threads.
    public let maximumThreads: Int
    private let eagerThreads: Int
    private let idleTime: Double
    /// How long queued work may wait with no thread taking any before the watcher adds one.
    private static let stall: UInt32 = 5_000
    // The state below is guarded by `condition` (a condition variable cannot wait on a `Mutex`).
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var idle = 0
    private var threads = 0
    private var taken = 0
    private var watching = false
    private var watcherParked = false
    private let watcherWake = DispatchSemaphore(value: 0)

    /// An executor with at most `maximumThreads` threads, each ending after `idleTime` seconds without work.
    public init(maximumThreads: Int, idleTime: Double = 10) {
        self.maximumThreads = max(1, maximumThreads)
        self.eagerThreads = min(self.maximumThreads, max(1, ProcessInfo.processInfo.activeProcessorCount))
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
        // A queued job no idle thread will take: another thread at once while there are fewer than cores.
        let starts = jobs.count - head > idle && threads < eagerThreads
        if starts { threads += 1 }
        if idle > 0 { condition.signal() }
        let startsWatcher = !watching
        watching = true
        let wakesWatcher = watcherParked
        watcherParked = false
        condition.unlock()
        if starts { spawn(name: "lander.waiting", work) }
        if startsWatcher { spawn(name: "lander.waiting.watch", watch) }
        if wakesWatcher { watcherWake.signal() }
    }

    private func spawn(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
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

    /// The watcher's life: while work is queued, look every few milliseconds whether any was taken; when
    /// none was and no thread is idle, every thread waits or works, so start another. Parks while nothing
    /// is queued; ends after `idleTime` parked.
    private func watch() {
        var seen = -1
        while true {
            condition.lock()
            if head == jobs.count {
                watcherParked = true
                condition.unlock()
                if watcherWake.wait(timeout: .now() + idleTime) == .timedOut {
                    condition.lock()
                    let ends = watcherParked && head == jobs.count
                    if ends { watching = false }
                    watcherParked = false
                    condition.unlock()
                    if ends { return }
                }
                seen = -1
                continue
            }
            let stalled = taken == seen && idle == 0 && threads < maximumThreads
            seen = taken
            if stalled { threads += 1 }
            condition.unlock()
            if stalled { spawn(name: "lander.waiting", work) }
            usleep(Self.stall)
        }
    }

    /// The oldest queued job (with `condition` held); the queue's storage is reclaimed once it empties.
    private func next() -> UnownedJob? {
        guard head < jobs.count else { return nil }
        let job = jobs[head]
        head += 1
        taken += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }
}
