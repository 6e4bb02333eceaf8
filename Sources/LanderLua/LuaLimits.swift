/// The budget of one script entry: memory for the whole state, instructions and time per entry.
public struct LuaLimits: Sendable, Equatable {
    /// Bytes the state may hold (nil: unlimited).
    public var memory: Int?
    /// Lua VM instructions one entry may execute, checked every 1,000 (nil: unlimited).
    public var instructions: Int?
    /// Wall time one entry may take, waits included (nil: unlimited).
    public var deadline: Duration?

    /// Creates limits.
    public init(memory: Int? = nil, instructions: Int? = nil, deadline: Duration? = nil) {
        self.memory = memory
        self.instructions = instructions
        self.deadline = deadline
    }

    /// The defaults for plugin code: 64 MiB and a billion instructions (several seconds of pure Lua).
    public static let `default` = LuaLimits(memory: 64 << 20, instructions: 1_000_000_000)

    /// No limits at all (benchmarks and trusted code).
    public static let unlimited = LuaLimits()
}

/// The level at which a script logs.
public enum LuaLogLevel: String, Sendable, CaseIterable {
    case debug, info, warn, error
}
