import CLua
import CLuaShim

/// How deeply nested a value may be when it crosses between Lua and Swift.
let maximumValueDepth = 100

extension LuaRuntime {
    /// Pushes a Swift value onto a Lua stack (raw sets only: no metamethod can run).
    func push(_ value: LuaValue, on L: OpaquePointer, depth: Int = 0) throws(LuaError) {
        guard depth < maximumValueDepth, lua_checkstack(L, 3) != 0 else {
            throw LuaError(.conversion, message: "value nested more than \(maximumValueDepth) levels deep")
        }
        switch value {
        case .nil: lua_pushnil(L)
        case .boolean(let b): lua_pushboolean(L, b ? 1 : 0)
        case .integer(let i): lua_pushinteger(L, i)
        case .number(let d): lua_pushnumber(L, d)
        case .string(let s): pushString(s, on: L)
        case .bytes(let bytes): pushBytes(bytes, on: L)
        case .array(let items):
            lua_createtable(L, Int32(clamping: items.count), 0)
            for (offset, item) in items.enumerated() {
                try push(item, on: L, depth: depth + 1)
                lua_rawseti(L, -2, lua_Integer(offset + 1))
            }
        case .map(let fields):
            lua_createtable(L, 0, Int32(clamping: fields.count))
            for (key, field) in fields {
                pushString(key, on: L)
                try push(field, on: L, depth: depth + 1)
                lua_rawset(L, -3)
            }
        case .function(let function):
            guard function.runtimeID == id else {
                throw LuaError(.conversion, message: "a function from another Lua runtime cannot be used here")
            }
            lua_rawgeti(L, lander_registry_index(), lua_Integer(function.reference))
        }
    }

    /// Pushes a Swift string as a Lua string, byte for byte.
    func pushString(_ string: String, on L: OpaquePointer) {
        var string = string
        _ = string.withUTF8 { buffer in
            if let base = buffer.baseAddress, buffer.count > 0 {
                lua_pushlstring(L, base, buffer.count)
            } else {
                lua_pushstring(L, "")
            }
        }
    }

    /// Pushes raw bytes as a Lua string.
    func pushBytes(_ bytes: [UInt8], on L: OpaquePointer) {
        _ = bytes.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress, buffer.count > 0 {
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { lua_pushlstring(L, $0, buffer.count) }
            } else {
                lua_pushstring(L, "")
            }
        }
    }

    /// Reads the value at a stack index; tables are converted deeply, cycles are refused.
    func value(at index: Int32, in L: OpaquePointer) throws(LuaError) -> LuaValue {
        var visiting: Set<UnsafeRawPointer> = []
        return try read(lua_absindex(L, index), in: L, visiting: &visiting, depth: 0)
    }

    /// Reads the top `count` values of a stack, bottom first.
    func values(top count: Int32, in L: OpaquePointer) throws(LuaError) -> [LuaValue] {
        let top = lua_gettop(L)
        switch count {
        case 0: return []
        case 1: return [try value(at: top, in: L)]
        default: break
        }
        var values: [LuaValue] = []
        values.reserveCapacity(Int(count))
        for index in stride(from: top - count + 1, through: top, by: 1) {
            values.append(try value(at: index, in: L))
        }
        return values
    }

    /// The string at an index (strings only, never a conversion of a number in place).
    func string(at index: Int32, in L: OpaquePointer) -> String? {
        guard lua_type(L, index) == LUA_TSTRING else { return nil }
        var length = 0
        guard let pointer = lua_tolstring(L, index, &length) else { return nil }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    private func read(
        _ index: Int32, in L: OpaquePointer, visiting: inout Set<UnsafeRawPointer>, depth: Int
    ) throws(LuaError) -> LuaValue {
        switch lua_type(L, index) {
        case LUA_TNIL, LUA_TNONE: return .nil
        case LUA_TBOOLEAN: return .boolean(lua_toboolean(L, index) != 0)
        case LUA_TNUMBER:
            return lua_isinteger(L, index) != 0
                ? .integer(lua_tointegerx(L, index, nil)) : .number(lua_tonumberx(L, index, nil))
        case LUA_TSTRING:
            var length = 0
            guard let pointer = lua_tolstring(L, index, &length) else { return .string("") }
            let bytes = pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
                UnsafeBufferPointer(start: $0, count: length)
            }
            if let string = String(validating: bytes, as: UTF8.self) { return .string(string) }
            return .bytes(Array(bytes))
        case LUA_TTABLE:
            return try readTable(index, in: L, visiting: &visiting, depth: depth)
        case LUA_TFUNCTION:
            lua_pushvalue(L, index)
            let reference = luaL_ref(L, lander_registry_index())
            return .function(LuaFunctionRef(runtimeID: id, reference: reference))
        case let type:
            let name = String(cString: lua_typename(L, type))
            throw LuaError(.conversion, message: "a \(name) cannot be passed to Swift")
        }
    }

    private func readTable(
        _ index: Int32, in L: OpaquePointer, visiting: inout Set<UnsafeRawPointer>, depth: Int
    ) throws(LuaError) -> LuaValue {
        guard depth < maximumValueDepth, lua_checkstack(L, 4) != 0 else {
            throw LuaError(.conversion, message: "table nested more than \(maximumValueDepth) levels deep")
        }
        guard let identity = lua_topointer(L, index), visiting.insert(identity).inserted else {
            throw LuaError(.conversion, message: "a table that contains itself (a cycle) cannot be passed to Swift")
        }
        defer { visiting.remove(identity) }
        var items: [Int64: LuaValue] = [:]
        var fields: [String: LuaValue] = [:]
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            let item = try read(lua_gettop(L), in: L, visiting: &visiting, depth: depth + 1)
            if lua_type(L, -2) == LUA_TNUMBER, lua_isinteger(L, -2) != 0 {
                items[lua_tointegerx(L, -2, nil)] = item
            } else if let key = string(at: -2, in: L) {
                fields[key] = item
            } else {
                let name = String(cString: lua_typename(L, lua_type(L, -2)))
                lander_pop(L, 2)
                throw LuaError(.conversion, message: "a table key of type \(name) cannot be passed to Swift")
            }
            lander_pop(L, 1)
        }
        if items.isEmpty, !fields.isEmpty { return .map(fields) }
        guard fields.isEmpty else {
            throw LuaError(.conversion, message: "a table mixing list items and named fields cannot be passed to Swift")
        }
        var list: [LuaValue] = []
        list.reserveCapacity(items.count)
        for position in 1...max(1, items.count) where !items.isEmpty {
            guard let item = items[Int64(position)] else {
                throw LuaError(.conversion, message: "a list with a hole at index \(position) cannot be passed to Swift")
            }
            list.append(item)
        }
        return .array(list)
    }
}
