/// A lifecycle point hooks attach to.
public enum HookPoint: String, Sendable, Hashable, CaseIterable {
    case preAcquire = "pre_acquire"
    case preUpload = "pre_upload"
    case postUpload = "post_upload"
    case preStep = "pre_step"
    case postStep = "post_step"
    case postDeploy = "post_deploy"
    case onFailure = "on_failure"
    case onCancel = "on_cancel"
    case finally

    /// Whether a hook's failure fails the deployment unless it says otherwise (`pre_*` do).
    public var criticalByDefault: Bool { rawValue.hasPrefix("pre_") }
}

/// A hook function (`plugin.function`) bound to a point, with its options.
public struct HookBinding: Sendable, Hashable {
    /// Where it runs.
    public var point: HookPoint
    /// The module path and function as written, e.g. `notify.webhook`: module `notify`, function `webhook`.
    public var reference: String { didSet { plugin = PluginReference(reference) } }
    /// The reference parsed once, when it is set.
    public private(set) var plugin: PluginReference
    /// Whether its failure fails the deployment.
    public var critical: Bool
    /// Options passed to the hook function.
    public var with: [String: ConfigValue]
    /// Where it is declared.
    public var location: SourceLocation?

    /// Creates a binding.
    public init(
        point: HookPoint, reference: String, critical: Bool, with: [String: ConfigValue] = [:],
        location: SourceLocation? = nil
    ) {
        self.point = point
        self.reference = reference
        self.plugin = PluginReference(reference)
        self.critical = critical
        self.with = with
        self.location = location
    }
}
