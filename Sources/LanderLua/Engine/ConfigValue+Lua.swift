public import LanderModel

extension LuaValue {
    /// A value from lander.yml as Lua sees it.
    public init(_ value: ConfigValue) {
        switch value {
        case .null: self = .nil
        case .bool(let flag): self = .boolean(flag)
        case .int(let number): self = .integer(number)
        case .double(let number): self = .number(number)
        case .string(let text): self = .string(text)
        case .list(let items): self = .array(items.map(LuaValue.init))
        case .map(let map): self = .map(map.mapValues(LuaValue.init))
        }
    }

    /// A map of lander.yml values as a Lua table.
    static func table(_ map: [String: ConfigValue]) -> LuaValue { .map(map.mapValues(LuaValue.init)) }
}

extension ConfigValue {
    /// A Lua value as data lander.yml could hold; functions cannot be kept.
    init(lua value: LuaValue, at path: String) throws(LuaError) {
        switch value {
        case .nil: self = .null
        case .boolean(let flag): self = .bool(flag)
        case .integer(let number): self = .int(number)
        case .number(let number): self = .double(number)
        case .string(let text): self = .string(text)
        case .bytes(let bytes): self = .string(String(decoding: bytes, as: UTF8.self))
        case .array(let items):
            var list: [ConfigValue] = []
            for (index, item) in items.enumerated() {
                list.append(try ConfigValue(lua: item, at: "\(path)[\(index + 1)]"))
            }
            self = .list(list)
        case .map(let map):
            var result: [String: ConfigValue] = [:]
            for (key, item) in map { result[key] = try ConfigValue(lua: item, at: "\(path).\(key)") }
            self = .map(result)
        case .function:
            throw LuaError(
                .conversion,
                message: "\(path) is a function; only data (strings, numbers, booleans, tables) can be kept")
        }
    }
}
