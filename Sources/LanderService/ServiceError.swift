public import LanderModel

/// Why the service could not do what was asked: typed, with data, never command-line wording.
///
/// A struct around a private enum (as SwiftNIO's errors are), so kinds can be added without breaking callers.
public struct ServiceError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidProject, invalidRequest, refused, cancelled
        }
        private let base: Base

        /// lander.yml, a template, the plan or a package feed is invalid; nothing ran.
        public static let invalidProject = Kind(base: .invalidProject)
        /// The request itself does not hold together (options that exclude each other, an unknown package).
        public static let invalidRequest = Kind(base: .invalidRequest)
        /// The store refused: unreadable or newer, an interrupted deployment waits, the project is being
        /// deployed and the request would not wait, an unknown id, nothing to roll back to.
        public static let refused = Kind(base: .refused)
        /// Cancelled before the deployment started; nothing ran.
        public static let cancelled = Kind(base: .cancelled)

        public var description: String { base.rawValue }
    }

    /// The kind.
    public let kind: Kind
    /// What went wrong, in one sentence.
    public let message: String
    /// The problems, each with file:line:column, for an invalid project.
    public let diagnostics: [Diagnostic]

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, diagnostics: [Diagnostic] = []) {
        self.kind = kind
        self.message = message
        self.diagnostics = diagnostics
    }

    public var description: String {
        (diagnostics.map(\.description) + [message]).joined(separator: "\n")
    }
}
