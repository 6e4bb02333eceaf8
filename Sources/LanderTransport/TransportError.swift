/// A command could not be started or reached its target.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// The target the command was for.
    public var target: String
    /// What went wrong and what to do.
    public var message: String

    /// Creates an error.
    public init(target: String, message: String) {
        self.target = target
        self.message = message
    }

    public var description: String { "target '\(target)': \(message)" }
}
