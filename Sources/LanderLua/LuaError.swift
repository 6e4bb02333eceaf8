/// A script failed: its kind, where (plugin, chunk, line), the message and the Lua traceback.
public struct LuaError: Error, CustomStringConvertible {
    /// What kind of failure this is; new kinds may be added.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case syntax, runtime, memoryLimit, instructionLimit, deadline, cancelled, stopped, conversion, module
        }
        private let base: Base

        /// The chunk does not compile.
        public static let syntax = Kind(base: .syntax)
        /// The script raised an error (its own, Lua's or a host function's).
        public static let runtime = Kind(base: .runtime)
        /// The script exceeded its memory budget.
        public static let memoryLimit = Kind(base: .memoryLimit)
        /// The script exceeded its instruction budget.
        public static let instructionLimit = Kind(base: .instructionLimit)
        /// The script ran past its deadline.
        public static let deadline = Kind(base: .deadline)
        /// The Swift task running the script was cancelled.
        public static let cancelled = Kind(base: .cancelled)
        /// Its host stopped it for a reason of its own (`LuaStop`: a lock it held was lost).
        public static let stopped = Kind(base: .stopped)
        /// A value could not cross between Lua and Swift.
        public static let conversion = Kind(base: .conversion)
        /// A module could not be found or was refused.
        public static let module = Kind(base: .module)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// The plugin whose code failed, when known.
    public var plugin: String?
    /// The chunk (file) that failed, e.g. `notify/init.lua`.
    public var chunk: String?
    /// The line in the chunk.
    public var line: Int?
    /// The message without the location prefix.
    public var message: String
    /// The Lua traceback at the point of failure.
    public var traceback: String?
    /// The Swift error a host function threw, when that is what failed.
    public var underlying: (any Error)?

    /// Creates an error.
    public init(
        _ kind: Kind, message: String, chunk: String? = nil, line: Int? = nil, plugin: String? = nil,
        traceback: String? = nil, underlying: (any Error)? = nil
    ) {
        self.kind = kind
        self.message = message
        self.chunk = chunk
        self.line = line
        self.plugin = plugin
        self.traceback = traceback
        self.underlying = underlying
    }

    /// One line: `notify/init.lua:12: attempt to index a nil value (local 'x')`.
    public var description: String {
        switch (chunk, line) {
        case (let chunk?, let line?): "\(chunk):\(line): \(message)"
        case (let chunk?, nil): "\(chunk): \(message)"
        default: message
        }
    }
}

extension LuaError {
    /// Splits Lua's `chunk:line: message` form; nil when the message has no such prefix.
    static func splitLocation(_ text: String) -> (chunk: String, line: Int, message: String)? {
        let firstLine = text.prefix { $0 != "\n" }
        var search = firstLine.startIndex
        while let colon = firstLine[search...].firstIndex(of: ":") {
            let afterColon = firstLine.index(after: colon)
            let digits = firstLine[afterColon...].prefix { $0.isASCII && $0.isNumber }
            if !digits.isEmpty, let line = Int(digits), digits.endIndex < firstLine.endIndex,
                firstLine[digits.endIndex] == ":"
            {
                var rest = text[text.index(after: digits.endIndex)...]
                if rest.first == " " { rest = rest.dropFirst() }
                let chunk = String(firstLine[..<colon])
                return chunk.isEmpty ? nil : (chunk, line, String(rest))
            }
            search = afterColon
        }
        return nil
    }
}

/// A host function was called with a wrong argument.
public struct LuaArgumentError: Error, CustomStringConvertible {
    /// The 1-based position of the argument.
    public var position: Int
    /// The function's Lua name, e.g. `lander.sleep`.
    public var function: String
    /// What was wrong.
    public var problem: String

    public var description: String { "bad argument #\(position) to '\(function)' (\(problem))" }
}
