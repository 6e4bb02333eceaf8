public import LanderModel
import Synchronization

/// Outputs tasks set, per target and step: what `{{output.STEP.KEY}}` and `ctx.outputs` read.
public final class OutputStore: Sendable {
    private let outputs = Mutex<[String: [String: [String: ConfigValue]]]>([:])

    /// Creates an empty store.
    public init() {}

    /// Adds values a task set on a target in a step (later keys replace earlier ones).
    public func set(_ values: [String: ConfigValue], step: String, target: String) {
        guard !values.isEmpty else { return }
        outputs.withLock { $0[target, default: [:]][step, default: [:]].merge(values) { _, new in new } }
    }

    /// Everything set so far, by target and step.
    public func snapshot() -> [String: [String: [String: ConfigValue]]] { outputs.withLock { $0 } }

    /// Everything set on a target so far, by step, with what tasks that run once per deployment (on
    /// `Planner.orchestrator`: deploying another project) set, which every target reads.
    public func all(on target: String) -> [String: [String: ConfigValue]] {
        outputs.withLock { outputs in
            let own = outputs[target] ?? [:]
            guard target != Planner.orchestrator, let shared = outputs[Planner.orchestrator] else { return own }
            return shared.merging(own) { _, mine in mine }
        }
    }
}
