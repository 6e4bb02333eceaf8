/// A problem with the state store, said so that the reader knows what to do.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do.
    public var description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
