public import LanderEngine
public import LanderModel
import Synchronization

/// A journal that keeps everything in memory: the engine tested without SQLite.
public final class InMemoryJournal: DeploymentJournal {
    private let state = Mutex<
        (envelopes: [EventEnvelope], outputs: [TargetStepKey: [String: ConfigValue]], flushes: Int)
    >(
        ([], [:], 0))

    /// Creates an empty journal.
    public init() {}

    /// Every event recorded, in the order recorded.
    public var envelopes: [EventEnvelope] { state.withLock { $0.envelopes } }
    /// The outputs recorded per target-step.
    public var outputs: [TargetStepKey: [String: ConfigValue]] { state.withLock { $0.outputs } }
    /// How often the engine waited for the record to be durable.
    public var flushes: Int { state.withLock { $0.flushes } }

    public func record(_ envelope: EventEnvelope) { state.withLock { $0.envelopes.append(envelope) } }

    public func recordOutputs(_ outputs: [String: ConfigValue], for key: TargetStepKey) {
        state.withLock { $0.outputs[key] = outputs }
    }

    public func flush() async throws { state.withLock { $0.flushes += 1 } }
}
