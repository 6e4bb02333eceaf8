/// Why the store refused or failed: a kind callers can act on, and a message saying what to do.
///
/// A struct around a private enum of kinds (SwiftNIO's pattern), so kinds can be added without breaking callers.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// The kind of refusal or failure.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unusable, notFound, conflict, busy, failed
        }
        private let base: Base

        /// The file is not a Lander store, is damaged, unwritable, or from a newer Lander; nothing was changed.
        public static let unusable = Kind(base: .unusable)
        /// No such deployment or release (or an id prefix that names several).
        public static let notFound = Kind(base: .notFound)
        /// What is asked contradicts the record: an interrupted deployment waits, a release exists, a
        /// deployment is not in a state that allows it.
        public static let conflict = Kind(base: .conflict)
        /// A lock is held and the caller would not wait.
        public static let busy = Kind(base: .busy)
        /// SQLite failed in some other way (a full disk…).
        public static let failed = Kind(base: .failed)

        public var description: String { base.rawValue }
    }

    /// The kind.
    public var kind: Kind
    /// What went wrong and what to do.
    public var description: String

    /// Creates an error of a kind.
    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// Creates an error of the `conflict` kind.
    public init(_ description: String) {
        self.init(.conflict, description)
    }
}
