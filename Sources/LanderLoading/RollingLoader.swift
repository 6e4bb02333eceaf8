import LanderModel
import Yams

/// `rolling:` on a step.
enum RollingLoader {
    static let keys = [
        "batch", "precheck", "drain", "drain_timeout", "settle", "verify", "verify_fleet", "stop_target",
        "on_target_failed", "max_stopped",
    ]

    static func policy(_ node: Node, in context: String, _ reader: inout NodeReader) -> RollingPolicy? {
        guard let pairs = reader.mapping(node, in: "rolling of \(context)", allowed: keys) else { return nil }
        var policy = RollingPolicy()
        for (key, value, _) in pairs {
            let what = "\(key) of the rolling \(context)"
            switch key {
            case "batch":
                if let sizes = batches(value, what, &reader) { policy.batches = sizes }
            case "drain_timeout":
                policy.drainTimeout = reader.duration(value, what) ?? policy.drainTimeout
            case "settle":
                policy.settle = reader.duration(value, what) ?? policy.settle
            case "max_stopped":
                policy.maxStopped = reader.integer(value, what, atLeast: 0) ?? policy.maxStopped
            case "precheck": policy.precheck = binding(value, what, &reader)
            case "drain": policy.drain = binding(value, what, &reader)
            case "verify": policy.verify = binding(value, what, &reader)
            case "verify_fleet": policy.verifyFleet = binding(value, what, &reader)
            case "stop_target": policy.stopTarget = binding(value, what, &reader)
            case "on_target_failed": policy.onTargetFailed = binding(value, what, &reader)
            default: break
            }
        }
        return policy
    }

    /// `3`, `25%` or a list of them.
    private static func batches(_ node: Node, _ what: String, _ reader: inout NodeReader) -> [BatchSize]? {
        let items = node.sequence.map(Array.init) ?? [node]
        var sizes: [BatchSize] = []
        for item in items {
            guard let text = item.scalar?.string else {
                reader.report("\(what) must be a count, a percentage or a list of them", at: item)
                return nil
            }
            if text.hasSuffix("%"), let percent = Int(text.dropLast()), (1...100).contains(percent) {
                sizes.append(.percent(percent))
            } else if let count = Int(text), count >= 1 {
                sizes.append(.count(count))
            } else {
                reader.report(
                    "\(what): '\(text)' is neither a count of at least 1 nor a percentage from 1% to 100%", at: item,
                    hint: "write batch: 1, batch: 25% or batch: [1, 25%, 100%]")
                return nil
            }
        }
        if sizes.isEmpty { reader.report("\(what) is an empty list", at: node, hint: "write batch: [1, 100%]") }
        return sizes.isEmpty ? nil : sizes
    }

    /// `plugin`, `none`, or `{ hook: plugin, with: { … } }`.
    private static func binding(_ node: Node, _ what: String, _ reader: inout NodeReader) -> RollingBinding? {
        if let text = node.scalar?.string {
            return text == "none" ? nil : RollingBinding(reference: text)
        }
        guard let pairs = reader.mapping(node, in: what, allowed: ["hook", "with"]) else { return nil }
        let fields = Dictionary(pairs.map { ($0.key, $0.node) }, uniquingKeysWith: { first, _ in first })
        guard let reference = fields["hook"].flatMap({ reader.string($0, "hook of \(what)") }) else {
            reader.report("\(what) needs hook: PLUGIN", at: node, hint: "write { hook: http-status, with: { … } }")
            return nil
        }
        var with: [String: ConfigValue] = [:]
        if let withNode = fields["with"] {
            guard case .map(let map) = reader.value(withNode) else {
                reader.report("with: of \(what) must be a map of options", at: withNode)
                return nil
            }
            with = map
        }
        return RollingBinding(reference: reference, with: with)
    }
}
