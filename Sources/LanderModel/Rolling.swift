/// How a step rolls through its targets behind a load balancer: batch by batch, each target checked,
/// drained, changed, settled, verified and put back — or left out for inspection.
public struct RollingPolicy: Sendable, Hashable {
    /// Batch sizes in order; the last one repeats (`[1, 25%, 100%]`: a canary, then quarters, then the rest).
    public var batches: [BatchSize] = [.count(1)]
    /// Checks a target before it is touched; a target that fails is skipped (never drained or changed).
    public var precheck: RollingBinding? = RollingBinding(reference: "http-status")
    /// Takes a target out of the pool and waits for its connections to drain; its plugin's `undrain` puts
    /// it back, and its `stop_target` (when it has one) stops a target whose version is wrong.
    public var drain: RollingBinding?
    /// The longest a drain may take.
    public var drainTimeout: Duration = .seconds(60)
    /// The wait after a batch's tasks, before verifying.
    public var settle: Duration = .seconds(60)
    /// Checks a changed target; a target that fails is left out of the pool and the rollout halts.
    public var verify: RollingBinding? = RollingBinding(reference: "http-status")
    /// After the last batch: what version each target serves; targets with the wrong one are stopped
    /// (a target for which the hook returns nothing is not checked).
    public var verifyFleet: RollingBinding? = RollingBinding(reference: "version-check")
    /// Stops a target whose version is wrong (default: the drain plugin's `stop_target`).
    public var stopTarget: RollingBinding?
    /// Called for a target that failed (left out of the pool).
    public var onTargetFailed: RollingBinding?
    /// More stopped targets than this fails the deployment.
    public var maxStopped: Int = 3

    /// The default policy: one target at a time, HTTP status checks, no load balancer.
    public init() {}

    /// The targets of each batch, in order.
    public func split<T>(_ targets: [T]) -> [[T]] {
        var result: [[T]] = []
        var rest = targets[...]
        var index = 0
        while !rest.isEmpty {
            let size = batches[min(index, batches.count - 1)].size(of: targets.count)
            result.append(Array(rest.prefix(size)))
            rest = rest.dropFirst(size)
            index += 1
        }
        return result
    }
}

/// A batch size: a count of targets or a percentage of all of them (rounded up, at least one).
public enum BatchSize: Sendable, Hashable, CustomStringConvertible {
    case count(Int)
    case percent(Int)

    /// How many targets of `total` the batch takes.
    public func size(of total: Int) -> Int {
        switch self {
        case .count(let count): max(1, count)
        case .percent(let percent): max(1, (total * percent + 99) / 100)
        }
    }

    public var description: String {
        switch self {
        case .count(let count): "\(count)"
        case .percent(let percent): "\(percent)%"
        }
    }
}

/// A rolling point's plugin (`haproxy`, `http-status`, or `plugin.function`) and its options.
public struct RollingBinding: Sendable, Hashable {
    /// The plugin module, optionally with the function: by default the function named after the point.
    public var reference: String { didSet { plugin = PluginReference(reference) } }
    /// The reference parsed once, when it is set.
    public private(set) var plugin: PluginReference
    /// Options passed to the function.
    public var with: [String: ConfigValue]

    /// Creates a binding.
    public init(reference: String, with: [String: ConfigValue] = [:]) {
        self.reference = reference
        self.plugin = PluginReference(reference)
        self.with = with
    }
}

/// The per-target points of a rollout a plugin can implement.
public enum RollingPoint: String, Sendable, CaseIterable {
    case precheck, drain, undrain, verify
    case verifyFleet = "verify_fleet"
    case stopTarget = "stop_target"
    case onTargetFailed = "on_target_failed"
}
