public import LanderEngine
public import LanderModel
public import LanderStore
import Synchronization

/// Where a started deployment comes from.
public enum StartPoint: Sendable {
    /// A new deployment.
    case fresh
    /// An interrupted or cancelled deployment continued; `finished` task runs are taken from its record.
    case resumed(DeploymentRecord, finished: Int)
    /// A rollback to the release an earlier deployment delivered.
    case rollback(of: DeploymentRecord)
}

/// Follows a deployment as it happens, instead of the handle's event stream: called on the deployment's own
/// threads, possibly from several at once, so it must be thread-safe and must not block. The command line
/// uses it (an event stream costs a task wake-up per event); a consumer elsewhere reads `events`.
public protocol DeploymentObserver: Sendable {
    /// The deployment is about to start: before any of its events.
    func started(_ handle: DeploymentHandle)
    /// An event, as it happens.
    func observe(_ envelope: EventEnvelope)
}

/// A deployment started through the service: its id, its events as they happen, a way to cancel it, and
/// its final report.
public final class DeploymentHandle: Sendable {
    /// The deployment's id.
    public let id: String
    /// What it runs.
    public let plan: Plan
    /// Where it comes from.
    public let startedFrom: StartPoint
    /// What planning warned about (it works, but should be done another way).
    public let warnings: [Diagnostic]
    /// Every event in its envelope, in order, until the deployment ends (one consumer); empty when an
    /// observer was given, which gets them instead. Before the deployment starts, a `waitingForLock` event
    /// (sequence 0) with the project lock's name (`deploy:PROJECT/ENV`) tells of a wait for it.
    public let events: AsyncStream<EventEnvelope>
    private let continuation: AsyncStream<EventEnvelope>.Continuation
    private let observer: (any DeploymentObserver)?
    private let body = Mutex<Task<DeploymentReport, any Error>?>(nil)

    init(
        id: String, plan: Plan, warnings: [Diagnostic], startedFrom: StartPoint, observer: (any DeploymentObserver)?
    ) {
        self.id = id
        self.plan = plan
        self.warnings = warnings
        self.startedFrom = startedFrom
        self.observer = observer
        (events, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        if observer != nil { continuation.finish() }
    }

    /// Publishes an event the deployment sent.
    func emit(_ envelope: EventEnvelope) {
        if let observer { observer.observe(envelope) } else { continuation.yield(envelope) }
    }

    /// Publishes an event of the service's own, before the deployment started.
    func emit(_ event: DeploymentEvent) {
        emit(EventEnvelope(deployment: id, sequence: 0, event: event))
    }

    /// Runs `work` as the deployment (the observer hears of it first), preferring `executor` (its store's:
    /// see `StateStore.executor`); the stream ends with it.
    func start(on executor: WaitingExecutor?, _ work: @escaping @Sendable () async throws -> DeploymentReport) {
        observer?.started(self)
        let continuation = self.continuation
        body.withLock {
            $0 = Task(executorPreference: executor) {
                defer { continuation.finish() }
                return try await work()
            }
        }
    }

    /// Cancels it: running commands are stopped, `on_cancel` and `finally` hooks run; a deployment still
    /// waiting for its project lock does not start.
    public func cancel() {
        body.withLock { $0?.cancel() }
    }

    /// Waits for the end: the report, or why it never started.
    public func report() async throws(ServiceError) -> DeploymentReport {
        guard let task = body.withLock({ $0 }) else { throw ServiceError(.refused, "deployment \(id) never started") }
        switch await task.result {
        case .success(let report): return report
        case .failure(let error as ServiceError): throw error
        case .failure(is CancellationError):
            throw ServiceError(.cancelled, "cancelled before the deployment started; nothing ran")
        case .failure(let error): throw ServiceError(.refused, "\(error)")
        }
    }
}

/// The deployments running in this process: found by id, cancelled, awaited.
public final class RunningDeployments: Sendable {
    private let handles = Mutex<[String: DeploymentHandle]>([:])

    /// Creates an empty registry.
    public init() {}

    /// The running deployment with this id.
    public func handle(_ id: String) -> DeploymentHandle? { handles.withLock { $0[id] } }

    /// The ids of every running deployment.
    public var ids: [String] { handles.withLock { $0.keys.sorted() } }

    /// Cancels a running deployment; false when none has this id.
    @discardableResult
    public func cancel(_ id: String) -> Bool {
        guard let handle = handle(id) else { return false }
        handle.cancel()
        return true
    }

    func add(_ handle: DeploymentHandle) { handles.withLock { $0[handle.id] = handle } }
    func remove(_ id: String) { _ = handles.withLock { $0.removeValue(forKey: id) } }
}
