public import LanderModel

/// Where a deployment keeps its record (the state store). Events are queued cheaply; the deployment
/// waits for `flush` before it acts on a target and after a target finishes, so nothing happens that
/// the record does not already say.
public protocol DeploymentJournal: Sendable {
    /// Queues an event (secrets already masked).
    func record(_ event: DeploymentEvent)
    /// Queues the outputs a target-step gave, secrets masked (a resumed run runs such a target-step again).
    func recordOutputs(_ outputs: [String: ConfigValue], for key: TargetStepKey)
    /// Returns once everything queued so far is durable; throws when it cannot be written.
    func flush() async throws
}

/// Names a task on a target within a deployment.
public struct TargetStepKey: Hashable, Sendable {
    public var step: String, task: String, target: String

    /// Creates a key.
    public init(step: String, task: String, target: String) {
        self.step = step
        self.task = task
        self.target = target
    }
}

/// What an interrupted run of a deployment already finished, so a resumed run does not do it again.
public struct ResumePoint: Sendable {
    /// Finished target-steps with how they ended and the outputs they gave.
    public var finished: [TargetStepKey: (outcome: TargetOutcome, outputs: [String: ConfigValue])]
    /// Sessions the interrupted run opened and never closed: stopped before the resumed run starts.
    public var sessions: [(target: String, name: String, pid: Int32)]
    /// Whether this continues an interrupted run (whose commands may still be running on the targets).
    public var interrupted = false

    /// Creates a resume point.
    public init(
        finished: [TargetStepKey: (outcome: TargetOutcome, outputs: [String: ConfigValue])] = [:],
        sessions: [(target: String, name: String, pid: Int32)] = []
    ) {
        self.finished = finished
        self.sessions = sessions
    }
}

/// Named locks and counted semaphores shared by every deployment that uses the same store.
public protocol LockService: Sendable {
    /// Waits (in arrival order) until `name` has fewer than `limit` holders, then holds it until the
    /// returned lease is released. `waiting` is called once if the lock is busy. Cancellation ends the wait.
    func acquire(_ name: String, limit: Int, waiting: @escaping @Sendable (String) -> Void) async throws
        -> any LockLease
}

/// A held lock; renewed in the background until released.
public protocol LockLease: Sendable {
    /// Lets the lock go.
    func release() async
}
