/// A position in a source file (1-based line and column).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file as the user named it, e.g. `lander.yml`.
    public var file: String
    /// The line, from 1.
    public var line: Int
    /// The column, from 1.
    public var column: Int

    /// Creates a location.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found in a project, with where it is and what to do.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is, when known.
    public var location: SourceLocation?
    /// What is wrong.
    public var message: String
    /// What to do about it, or what was meant.
    public var hint: String?

    /// Creates a diagnostic.
    public init(_ message: String, at location: SourceLocation?, hint: String? = nil) {
        self.message = message
        self.location = location
        self.hint = hint
    }

    /// `lander.yml:14:9: unknown role 'dbs' in step 'migrate'; known roles: app, db`
    public var description: String {
        let text = hint.map { "\(message); \($0)" } ?? message
        return location.map { "\($0): \(text)" } ?? text
    }
}
