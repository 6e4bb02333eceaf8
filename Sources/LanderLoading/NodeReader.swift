import LanderModel
import Yams

/// Reads YAML nodes into model values, collecting every problem instead of stopping at the first.
struct NodeReader {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    func location(_ node: Node?) -> SourceLocation? {
        node?.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
    }

    mutating func report(_ message: String, at node: Node?, hint: String? = nil) {
        diagnostics.append(Diagnostic(message, at: location(node), hint: hint))
    }

    mutating func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    /// The pairs of a mapping; unknown keys (with a suggestion) and repeated keys are reported.
    mutating func mapping(_ node: Node, in context: String, allowed: [String]) -> [(
        key: String, node: Node, keyNode: Node
    )]? {
        guard let mapping = node.mapping else {
            report("\(context) must be a map of keys, found \(kind(of: node))", at: node)
            return nil
        }
        var seen: Set<String> = []
        var pairs: [(key: String, node: Node, keyNode: Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                report("\(context) has a key that is not text", at: keyNode)
                continue
            }
            guard seen.insert(key).inserted else {
                report("'\(key)' appears twice in \(context)", at: keyNode, hint: "keep one")
                continue
            }
            if !allowed.isEmpty, !allowed.contains(key) {
                report(
                    "unknown key '\(key)' in \(context)", at: keyNode,
                    hint: Suggestion.hint(for: key, in: allowed, listing: "allowed keys are"))
                continue
            }
            pairs.append((key, value, keyNode))
        }
        return pairs
    }

    /// A name → node map whose keys are free (environment names, targets, variables).
    mutating func named(_ node: Node, in context: String) -> [(key: String, node: Node, keyNode: Node)] {
        mapping(node, in: context, allowed: []) ?? []
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar, node.tag.description != "tag:yaml.org,2002:null" || !scalar.string.isEmpty
        else {
            report("\(what) must be text, found \(kind(of: node))", at: node)
            return nil
        }
        return scalar.string
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard let value = node.bool else {
            report("\(what) must be true or false, found '\(node.scalar?.string ?? kind(of: node))'", at: node)
            return nil
        }
        return value
    }

    mutating func integer(_ node: Node, _ what: String, atLeast minimum: Int) -> Int? {
        guard let value = node.int, value >= minimum else {
            report(
                "\(what) must be a whole number ≥ \(minimum), found '\(node.scalar?.string ?? kind(of: node))'",
                at: node)
            return nil
        }
        return value
    }

    /// `90`, `90s`, `500ms`, `5m`, `1h`.
    mutating func duration(_ node: Node, _ what: String) -> Duration? {
        guard let text = node.scalar?.string, let duration = Duration.parse(text) else {
            report(
                "\(what) must be a duration such as 30s, 500ms, 5m or 1h, found '\(node.scalar?.string ?? kind(of: node))'",
                at: node)
            return nil
        }
        return duration
    }

    /// A list of strings; a single string is refused with `shellHint` when given.
    mutating func strings(_ node: Node, _ what: String, shellHint: String? = nil) -> [String]? {
        guard let sequence = node.sequence else {
            report("\(what) must be a list, found \(kind(of: node))", at: node, hint: shellHint)
            return nil
        }
        var items: [String] = []
        for item in sequence {
            guard let scalar = item.scalar else {
                report("each item of \(what) must be text, found \(kind(of: item))", at: item)
                return nil
            }
            items.append(scalar.string)
        }
        return items
    }

    /// Any YAML value as a config value.
    func value(_ node: Node) -> ConfigValue {
        switch node {
        case .scalar(let scalar):
            if node.null != nil, scalar.style == .plain { return .null }
            if scalar.style == .plain {
                if let bool = node.bool { return .bool(bool) }
                if let int = node.int { return .int(Int64(int)) }
                if let double = node.float { return .double(double) }
            }
            return .string(scalar.string)
        case .sequence(let sequence): return .list(sequence.map(value))
        case .mapping(let mapping):
            var map: [String: ConfigValue] = [:]
            for (key, item) in mapping { map[key.scalar?.string ?? ""] = value(item) }
            return .map(map)
        case .alias: return .null
        }
    }

    /// A `variables:` map.
    mutating func variables(_ node: Node, in context: String) -> [String: ConfigValue] {
        var variables: [String: ConfigValue] = [:]
        for (key, item, _) in named(node, in: "variables of \(context)") { variables[key] = value(item) }
        return variables
    }

    func kind(of node: Node) -> String {
        switch node {
        case .scalar(let scalar): node.null != nil && scalar.style == .plain ? "nothing" : "'\(scalar.string)'"
        case .sequence: "a list"
        case .mapping: "a map"
        case .alias: "an alias"
        }
    }
}
