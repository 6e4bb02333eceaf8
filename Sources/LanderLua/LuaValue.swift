/// A value that crosses between Swift and Lua: data only, safe to send between tasks.
public enum LuaValue: Sendable, Hashable {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    /// A Lua string that is valid UTF-8 (it may contain NUL bytes).
    case string(String)
    /// A Lua string that is not valid UTF-8, kept byte for byte.
    case bytes([UInt8])
    /// A table whose keys are exactly 1...n (an empty table reads as an empty array).
    case array([LuaValue])
    /// A table whose keys are all strings.
    case map([String: LuaValue])
    /// A Lua function held by the runtime that produced it.
    case function(LuaFunctionRef)
}

/// A reference to a Lua function living in one `LuaRuntime`; valid only with that runtime.
public struct LuaFunctionRef: Sendable, Hashable {
    /// The runtime that holds the function.
    public let runtimeID: UInt64
    /// The registry reference of the function.
    let reference: Int32
}

extension LuaValue {
    /// The Lua type name of the value, as `type()` would say it.
    public var typeName: String {
        switch self {
        case .nil: "nil"
        case .boolean: "boolean"
        case .integer, .number: "number"
        case .string, .bytes: "string"
        case .array, .map: "table"
        case .function: "function"
        }
    }

    /// Whether the value is `nil`.
    public var isNil: Bool { if case .nil = self { true } else { false } }

    /// The string, if the value is a UTF-8 string.
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }

    /// The raw bytes of a string value.
    public var byteValue: [UInt8]? {
        switch self {
        case .string(let s): Array(s.utf8)
        case .bytes(let b): b
        default: nil
        }
    }

    /// The integer, if the value is an integer or a float with an exact integer value.
    public var integerValue: Int64? {
        switch self {
        case .integer(let i): i
        case .number(let d): Int64(exactly: d)
        default: nil
        }
    }

    /// The number, if the value is numeric.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }

    /// The boolean, if the value is a boolean.
    public var boolValue: Bool? { if case .boolean(let b) = self { b } else { nil } }

    /// The items, if the value is a list (an empty map counts as an empty list).
    public var arrayValue: [LuaValue]? {
        switch self {
        case .array(let a): a
        case .map(let m) where m.isEmpty: []
        default: nil
        }
    }

    /// The fields, if the value is a map (an empty list counts as an empty map).
    public var mapValue: [String: LuaValue]? {
        switch self {
        case .map(let m): m
        case .array(let a) where a.isEmpty: [:]
        default: nil
        }
    }

    /// Lua truthiness: everything but `nil` and `false` is true.
    public var isTruthy: Bool {
        switch self {
        case .nil, .boolean(false): false
        default: true
        }
    }

    /// A field of a map value, or `.nil`.
    public subscript(key: String) -> LuaValue { mapValue?[key] ?? .nil }
}

extension LuaValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .nil }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: LuaValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, LuaValue)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension LuaValue: CustomStringConvertible {
    /// A Lua-like rendering, for logs and the CLI.
    public var description: String {
        switch self {
        case .nil: "nil"
        case .boolean(let b): String(b)
        case .integer(let i): String(i)
        case .number(let d): String(d)
        case .string(let s): s
        case .bytes(let b): String(decoding: b, as: UTF8.self)
        case .array(let a): "{" + a.map(\.quotedDescription).joined(separator: ", ") + "}"
        case .map(let m):
            "{" + m.keys.sorted().map { "\($0) = \(m[$0]?.quotedDescription ?? "nil")" }.joined(separator: ", ") + "}"
        case .function: "function"
        }
    }

    private var quotedDescription: String {
        switch self {
        case .string, .bytes: "\"" + description + "\""
        default: description
        }
    }
}
