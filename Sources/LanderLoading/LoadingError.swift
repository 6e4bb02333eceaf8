public import LanderModel

/// A project file could not be loaded: every problem found, each with its location.
public struct LoadingError: Error, CustomStringConvertible {
    /// The problems, in file order.
    public var diagnostics: [Diagnostic]

    /// The project as far as it could be read around the problems (nil when the file is no YAML mapping),
    /// so `lander validate` can check the rest of it too.
    public var partial: Project?

    /// Creates an error from problems.
    public init(_ diagnostics: [Diagnostic], partial: Project? = nil) {
        self.diagnostics = diagnostics
        self.partial = partial
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
