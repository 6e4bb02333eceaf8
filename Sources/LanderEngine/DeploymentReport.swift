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
