import CLua
import CLuaShim

/// How deeply nested a value may be when it crosses between Lua and Swift.
let maximumValueDepth = 100

extension LuaRuntime {
    /// Pushes a Swift value onto a Lua stack (raw sets only: no metamethod can run).
    func push(_ value: LuaValue, on lua: OpaquePointer, depth: Int = 0) throws(LuaError) {
        guard depth < maximumValueDepth, lua_checkstack(lua, 3) != 0 else {
            throw LuaError(.conversion, message: "value nested more than \(maximumValueDepth) levels deep")
        }
        switch value {
        case .nil: lua_pushnil(lua)
        case .boolean(let b): lua_pushboolean(lua, b ? 1 : 0)
        case .integer(let i): lua_pushinteger(lua, i)
        case .number(let d): lua_pushnumber(lua, d)
        case .string(let s): pushString(s, on: lua)
        case .bytes(let bytes): pushBytes(bytes, on: lua)
        case .array(let items):
            lua_createtable(lua, Int32(clamping: items.count), 0)
            for (offset, item) in items.enumerated() {
                try push(item, on: lua, depth: depth + 1)
                lua_rawseti(lua, -2, lua_Integer(offset + 1))
            }
        case .map(let fields):
            lua_createtable(lua, 0, Int32(clamping: fields.count))
            for (key, field) in fields {
                pushString(key, on: lua)
                try push(field, on: lua, depth: depth + 1)
                lua_rawset(lua, -3)
            }
        case .function(let function):
            guard function.runtimeID == id else {
                throw LuaError(.conversion, message: "a function from another Lua runtime cannot be used here")
            }
            lua_rawgeti(lua, lander_registry_index(), lua_Integer(function.reference))
        }
    }

    /// Pushes a Swift string as a Lua string, byte for byte.
    func pushString(_ string: String, on lua: OpaquePointer) {
        var string = string
        _ = string.withUTF8 { buffer in
            if let base = buffer.baseAddress, buffer.count > 0 {
                lua_pushlstring(lua, base, buffer.count)
            } else {
                lua_pushstring(lua, "")
            }
        }
    }

    /// Pushes raw bytes as a Lua string.
    func pushBytes(_ bytes: [UInt8], on lua: OpaquePointer) {
        _ = bytes.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress, buffer.count > 0 {
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    lua_pushlstring(lua, $0, buffer.count)
                }
            } else {
                lua_pushstring(lua, "")
            }
        }
    }

    /// Reads the value at a stack index; tables are converted deeply, cycles are refused.
    func value(at index: Int32, in lua: OpaquePointer) throws(LuaError) -> LuaValue {
        var visiting: Set<UnsafeRawPointer> = []
        return try read(lua_absindex(lua, index), in: lua, visiting: &visiting, depth: 0)
    }

    /// Reads the top `count` values of a stack, bottom first.
    func values(top count: Int32, in lua: OpaquePointer) throws(LuaError) -> [LuaValue] {
        let top = lua_gettop(lua)
        switch count {
        case 0: return []
        case 1: return [try value(at: top, in: lua)]
        default: break
        }
        var values: [LuaValue] = []
        values.reserveCapacity(Int(count))
        for index in stride(from: top - count + 1, through: top, by: 1) {
            values.append(try value(at: index, in: lua))
        }
        return values
    }

    /// The string at an index (strings only, never a conversion of a number in place).
    func string(at index: Int32, in lua: OpaquePointer) -> String? {
        guard lua_type(lua, index) == LUA_TSTRING else { return nil }
        var length = 0
        guard let pointer = lua_tolstring(lua, index, &length) else { return nil }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    private func read(
        _ index: Int32, in lua: OpaquePointer, visiting: inout Set<UnsafeRawPointer>, depth: Int
    ) throws(LuaError) -> LuaValue {
        switch lua_type(lua, index) {
        case LUA_TNIL, LUA_TNONE: return .nil
        case LUA_TBOOLEAN: return .boolean(lua_toboolean(lua, index) != 0)
        case LUA_TNUMBER:
            return lua_isinteger(lua, index) != 0
                ? .integer(lua_tointegerx(lua, index, nil)) : .number(lua_tonumberx(lua, index, nil))
        case LUA_TSTRING:
            var length = 0
            guard let pointer = lua_tolstring(lua, index, &length) else { return .string("") }
            let bytes = pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
                UnsafeBufferPointer(start: $0, count: length)
            }
            if let string = String(validating: bytes, as: UTF8.self) { return .string(string) }
            return .bytes(Array(bytes))
        case LUA_TTABLE:
            return try readTable(index, in: lua, visiting: &visiting, depth: depth)
        case LUA_TFUNCTION:
            lua_pushvalue(lua, index)
            let reference = luaL_ref(lua, lander_registry_index())
            return .function(LuaFunctionRef(runtimeID: id, reference: reference))
        case let type:
            let name = String(cString: lua_typename(lua, type))
            throw LuaError(.conversion, message: "a \(name) cannot be passed to Swift")
        }
    }

    private func readTable(
        _ index: Int32, in lua: OpaquePointer, visiting: inout Set<UnsafeRawPointer>, depth: Int
    ) throws(LuaError) -> LuaValue {
        guard depth < maximumValueDepth, lua_checkstack(lua, 4) != 0 else {
            throw LuaError(.conversion, message: "table nested more than \(maximumValueDepth) levels deep")
        }
        guard let identity = lua_topointer(lua, index), visiting.insert(identity).inserted else {
            throw LuaError(.conversion, message: "a table that contains itself (a cycle) cannot be passed to Swift")
        }
        defer { visiting.remove(identity) }
        var items: [Int64: LuaValue] = [:]
        var fields: [String: LuaValue] = [:]
        lua_pushnil(lua)
        while lua_next(lua, index) != 0 {
            let item = try read(lua_gettop(lua), in: lua, visiting: &visiting, depth: depth + 1)
            if lua_type(lua, -2) == LUA_TNUMBER, lua_isinteger(lua, -2) != 0 {
                items[lua_tointegerx(lua, -2, nil)] = item
            } else if let key = string(at: -2, in: lua) {
                fields[key] = item
            } else {
                let name = String(cString: lua_typename(lua, lua_type(lua, -2)))
                lander_pop(lua, 2)
                throw LuaError(.conversion, message: "a table key of type \(name) cannot be passed to Swift")
            }
            lander_pop(lua, 1)
        }
        if items.isEmpty, !fields.isEmpty { return .map(fields) }
        guard fields.isEmpty else {
            throw LuaError(.conversion, message: "a table mixing list items and named fields cannot be passed to Swift")
        }
        var list: [LuaValue] = []
        list.reserveCapacity(items.count)
        for position in 1...max(1, items.count) where !items.isEmpty {
            guard let item = items[Int64(position)] else {
                throw LuaError(
                    .conversion, message: "a list with a hole at index \(position) cannot be passed to Swift")
            }
            list.append(item)
        }
        return .array(list)
    }
}
