import LanderModel
import Yams

/// `packages:` at the top level, and `acquisition:`/`mirror:` on environments and targets.
enum PackageLoader {
    static let keys = ["id", "feed", "unpack", "destination", "substitute", "on"]

    /// The package list; each needs an id (unique) and a feed.
    static func packages(_ node: Node, _ reader: inout NodeReader) -> [PackageSpec] {
        guard let items = node.sequence else {
            reader.report(
                "packages must be a list, found \(reader.kind(of: node))", at: node,
                hint: "write each package as '- { id: app, feed: ./feed }'")
            return []
        }
        var seen: Set<String> = []
        var result: [PackageSpec] = []
        for (position, item) in items.enumerated() {
            let context = "package \(position + 1)"
            guard let pairs = reader.mapping(item, in: context, allowed: keys) else { continue }
            let fields = Dictionary(pairs.map { ($0.key, $0.node) }, uniquingKeysWith: { first, _ in first })
            guard let id = fields["id"].flatMap({ reader.string($0, "id of \(context)") }), !id.isEmpty else {
                reader.report("\(context) has no id", at: item, hint: "add id: app (the feed serves app/VERSION/…)")
                continue
            }
            guard isValidID(id) else {
                reader.report(
                    "package id '\(id)' may hold only letters, digits, '.', '_' and '-'", at: fields["id"] ?? item)
                continue
            }
            if !seen.insert(id).inserted { reader.report("package '\(id)' is declared twice", at: item) }
            guard let feed = fields["feed"].flatMap({ reader.string($0, "feed of package '\(id)'") }) else {
                reader.report(
                    "package '\(id)' has no feed", at: item,
                    hint: "add feed: ./feed (a directory) or feed: https://packages.example.com")
                continue
            }
            var spec = PackageSpec(id: id, feed: feed, location: reader.location(item))
            if let unpack = fields["unpack"].flatMap({ reader.string($0, "unpack of package '\(id)'") }) {
                if let kind = UnpackKind(rawValue: unpack) {
                    spec.unpack = kind
                } else {
                    reader.report(
                        "unknown unpack: '\(unpack)' for package '\(id)'", at: fields["unpack"] ?? item,
                        hint: "use tar.gz, zip or file")
                }
            }
            if let destination = fields["destination"].flatMap({ reader.string($0, "destination of package '\(id)'") })
            {
                if destination.split(separator: "/").contains("..") || destination.isEmpty {
                    reader.report(
                        "destination of package '\(id)' must stay inside the target's root", at: fields["destination"],
                        hint: "write a path relative to the root (or an absolute one), without '..'")
                }
                spec.destination = destination
            }
            if let substitute = fields["substitute"] {
                spec.substitute = reader.strings(substitute, "substitute of package '\(id)'") ?? []
            }
            if let roles = fields["on"] {
                if let role = roles.scalar?.string {
                    spec.roles = [role]
                } else {
                    spec.roles = reader.strings(roles, "on of package '\(id)'") ?? []
                }
            }
            if let other = result.first(where: { $0.destination == spec.destination }) {
                reader.report(
                    "packages '\(other.id)' and '\(id)' both unpack to \(spec.destination)", at: item,
                    hint: "give one of them destination: DIRECTORY")
            }
            result.append(spec)
        }
        return result
    }

    /// `acquisition: push|pull` and `mirror: URL` on an environment or target.
    static func policy(
        _ key: String, _ node: Node, in context: String, _ policy: inout AcquisitionPolicy,
        _ reader: inout NodeReader
    ) {
        guard let text = reader.string(node, "\(key) of \(context)") else { return }
        switch key {
        case "acquisition":
            if let mode = Acquisition(rawValue: text) {
                policy.mode = mode
            } else {
                reader.report(
                    "unknown acquisition: '\(text)' in \(context)", at: node,
                    hint: "push (the orchestrator uploads) or pull (the target downloads)")
            }
        default:
            if !(text.hasPrefix("http://") || text.hasPrefix("https://")) {
                reader.report("mirror of \(context) must be an http(s):// URL", at: node)
            }
            policy.mirror = text
        }
    }

    private static func isValidID(_ id: String) -> Bool {
        !id.hasPrefix(".") && id.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }
    }
}
