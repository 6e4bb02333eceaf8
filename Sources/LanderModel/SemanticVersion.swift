import Version

/// A release version compared as a semantic version (`2.3`, `v2.3.1`, `2.3.1-rc.1`), for `when: higher`
/// and `requires:` ranges.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    let version: Version

    /// Parses a version; a leading `v` and missing minor or patch numbers are accepted (`v2` is 2.0.0).
    public init?(_ text: String) {
        let trimmed = text.hasPrefix("v") || text.hasPrefix("V") ? String(text.dropFirst()) : text
        guard let version = Version(tolerant: trimmed) else { return nil }
        self.version = version
    }

    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool { lhs.version < rhs.version }

    public var description: String { version.description }
}
