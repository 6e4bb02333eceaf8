/// `requires: { payments: ">= 2.3, < 3" }`: a version of another project the environment must run before
/// this project is deployed there.
public struct Requirement: Sendable, Hashable {
    /// The other project's name.
    public var project: String
    /// The versions that satisfy it.
    public var range: VersionRange
    /// Where it is declared.
    public var location: SourceLocation?

    /// Creates a requirement.
    public init(project: String, range: VersionRange, location: SourceLocation? = nil) {
        self.project = project
        self.range = range
        self.location = location
    }
}

/// Comma-separated comparisons that all hold: `>= 2.3, < 3`, `= 1.4.2`, `!= 2.0.1`.
public struct VersionRange: Sendable, Hashable, CustomStringConvertible {
    /// One comparison.
    public struct Bound: Sendable, Hashable {
        /// `>=`, `>`, `<=`, `<`, `=` or `!=`.
        public var comparison: String
        /// The version compared with.
        public var version: SemanticVersion
    }

    /// The comparisons, all of which must hold.
    public var bounds: [Bound]
    /// The range as written.
    public let text: String

    static let comparisons = [">=", "<=", "!=", "==", ">", "<", "="]

    /// Parses a range; nil names what is wrong.
    public static func parse(_ text: String) -> Result<VersionRange, RangeError> {
        var bounds: [Bound] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map({
            $0.trimmingCharacters(in: .whitespaces)
        }) {
            guard !part.isEmpty else { return .failure(RangeError(message: "an empty comparison in '\(text)'")) }
            let comparison = comparisons.first { part.hasPrefix($0) } ?? "="
            let rest = part.dropFirst(comparisons.contains { part.hasPrefix($0) } ? comparison.count : 0)
                .trimmingCharacters(in: .whitespaces)
            guard let version = SemanticVersion(rest) else {
                return .failure(RangeError(message: "'\(rest)' in '\(text)' is no version like 2.3 or 2.3.1"))
            }
            bounds.append(Bound(comparison: comparison == "==" ? "=" : comparison, version: version))
        }
        guard !bounds.isEmpty else { return .failure(RangeError(message: "the range is empty")) }
        return .success(VersionRange(bounds: bounds, text: text))
    }

    /// Whether a version is in the range (a version that is no semantic version is not).
    public func contains(_ version: String) -> Bool {
        guard let version = SemanticVersion(version) else { return false }
        return bounds.allSatisfy { bound in
            switch bound.comparison {
            case ">=": version >= bound.version
            case ">": version > bound.version
            case "<=": version <= bound.version
            case "<": version < bound.version
            case "!=": version != bound.version
            default: version == bound.version
            }
        }
    }

    public var description: String { text }
}

/// Why a version range could not be read.
public struct RangeError: Error, Sendable {
    /// What is wrong.
    public var message: String
}
