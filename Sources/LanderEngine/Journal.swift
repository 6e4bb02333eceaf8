public import LanderModel

/// Where a deployment keeps its record (the state store). Events are queued cheaply; the deployment
/// waits for `flush` before it acts on a target and after a target finishes, so nothing happens that
/// the record does not already say.
public protocol DeploymentJournal: Sendable {
    /// Queues an event in its envelope (secrets already masked).
    func record(_ envelope: EventEnvelope)
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
    /// Targets earlier deployments of the project and environment took out of the pool and never put back
    /// (left out, stopped, or cut short mid-rollout), with how: a rollout deploys them without a precheck.
    public var leftOutOfPool: [String: String] = [:]
    /// The last event number the interrupted run recorded: the resumed run numbers on from it, so one
    /// deployment's events never share a number.
    public var lastSequence = 0

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
///
/// The invariant: two commands under one lock (or more than `limit` under a semaphore) never run at the
/// same time, whatever process dies. A holder names what runs under its claim (`LockGuard`); a dead
/// holder's claim passes on only once that is gone.
public protocol LockService: Sendable {
    /// Waits (in arrival order) until `name` has fewer than `limit` holders, then holds it until the
    /// returned lease is released. `waiting` is called once if the lock is busy. Cancellation ends the wait.
    /// `guarding` names the commands that run under the claim.
    func acquire(
        _ name: String, limit: Int, guarding: LockGuard?, waiting: @escaping @Sendable (String) -> Void
    ) async throws -> any LockLease

    /// Lets go of the claims a dead run of `deployment` left, once what it ran under them was stopped
    /// (a resumed deployment calls it after stopping the interrupted run's leftovers).
    func releaseLeftovers(of deployment: String) async
}

extension LockService {
    /// Takes a lock that guards no command of a target (a hook's own work).
    public func acquire(_ name: String, limit: Int, waiting: @escaping @Sendable (String) -> Void) async throws
        -> any LockLease
    {
        try await acquire(name, limit: limit, guarding: nil, waiting: waiting)
    }

    public func releaseLeftovers(of deployment: String) async {}
}

/// What runs under a claim: every command carrying a `LANDER_RUN` that starts with `runPrefix`.
public struct LockGuard: Sendable, Hashable {
    /// The deployment that holds the claim.
    public var deployment: String
    /// `<deployment>/` (the project lock), `<deployment>/<step>/` (a step's lock), `…/<task>/` or a task
    /// run's whole key (`lander.lock` in a template).
    public var runPrefix: String
    /// Whether some of those commands run on another machine (SSH), where a waiter cannot look.
    public var remote: Bool

    /// Creates a guard.
    public init(deployment: String, runPrefix: String, remote: Bool) {
        self.deployment = deployment
        self.runPrefix = runPrefix
        self.remote = remote
    }
}

/// A held lock; renewed in the background until released.
public protocol LockLease: Sendable {
    /// Lets the lock go.
    func release() async
    /// Calls `handler` once if the lease is lost while held (it could not be renewed in time and another
    /// holder may have the lock): what runs under it must stop, never act as a holder.
    func onLost(_ handler: @escaping @Sendable () -> Void)
}

extension LockLease {
    /// A lease that cannot be lost (a process's own in-memory lock).
    public func onLost(_ handler: @escaping @Sendable () -> Void) {}
}
