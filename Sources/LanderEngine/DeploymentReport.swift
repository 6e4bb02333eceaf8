public import LanderModel

/// What a deployment did: its outcome, the first error, and every task on every target with its times.
public struct DeploymentReport: Sendable {
    /// The deployment's id.
    public var id: String
    /// How it ended.
    public var outcome: DeploymentOutcome
    /// The first error; later errors (hooks among them) never replace it.
    public var error: String?
    /// Errors of hooks, critical or not, in the order they happened.
    public var hookErrors: [String]
    /// One record per task per target, in the order they finished.
    public var records: [TargetRecord]
    /// Steps that did not run, with the reason.
    public var skippedSteps: [String: String]
    /// How long it took.
    public var duration: Duration
    /// Targets of rolling steps not left on the new version (skipped, left out, stopped, left serving).
    public var notUpdated: [NotUpdatedTarget] = []
    /// What its tasks set, by target and step (what a phone-home caller gets back).
    public var outputs: [String: [String: [String: ConfigValue]]] = [:]

    /// Creates a report (the engine's own, or one a client builds from a deployment's events).
    public init(
        id: String, outcome: DeploymentOutcome, error: String?, hookErrors: [String] = [], records: [TargetRecord] = [],
        skippedSteps: [String: String] = [:], duration: Duration, notUpdated: [NotUpdatedTarget] = [],
        outputs: [String: [String: [String: ConfigValue]]] = [:]
    ) {
        (self.id, self.outcome, self.error, self.hookErrors, self.records) = (id, outcome, error, hookErrors, records)
        (self.skippedSteps, self.duration, self.notUpdated, self.outputs) = (
            skippedSteps, duration, notUpdated, outputs
        )
    }

    /// What a deployment's events say of it: its task runs, outcome, error, duration and the targets its
    /// rollouts did not update (what a client following a server's event stream reports at the end).
    public init?(events: [EventEnvelope]) {
        guard let started = events.first(where: { if case .deploymentStarted = $0.event { true } else { false } }),
            case .deploymentStarted(let id, _, _, _, _, _) = started.event,
            case .deploymentFinished(let outcome, let duration, let error)? = events.last?.event
        else { return nil }
        let now = ContinuousClock.now
        var records: [TargetRecord] = []
        var notUpdated: [NotUpdatedTarget] = []
        for envelope in events {
            switch envelope.event {
            case .targetFinished(let step, let task, let target, let outcome, let took, _, _):
                records.append(
                    TargetRecord(
                        step: step, task: task, target: target, outcome: outcome, started: now - took, finished: now,
                        attempts: 1))
            case .rolloutFinished(_, _, _, let left): notUpdated += left
            default: break
            }
        }
        self.init(id: id, outcome: outcome, error: error, records: records, duration: duration, notUpdated: notUpdated)
    }

    /// The records of one step.
    public func records(ofStep step: String) -> [TargetRecord] { records.filter { $0.step == step } }
}

/// One task on one target.
public struct TargetRecord: Sendable {
    /// Step, task and target.
    public var step: String, task: String, target: String
    /// How it ended.
    public var outcome: TargetOutcome
    /// When its first attempt started and its last one ended.
    public var started: ContinuousClock.Instant, finished: ContinuousClock.Instant
    /// How many attempts it took.
    public var attempts: Int
}
