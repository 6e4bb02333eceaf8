import CLua
import CLuaShim

/// A Swift function scripts call synchronously; a `throw` becomes a Lua error the script can catch.
public typealias LuaHostFunction = (LuaArguments) throws -> [LuaValue]

/// A Swift function that waits: the calling coroutine yields until it returns; other scripts keep going.
public typealias LuaAsyncHostFunction = @Sendable ([LuaValue]) async throws -> [LuaValue]

/// One registered host function (a class, so a call borrows it without copying its fields).
final class HostEntry {
    enum Body {
        case sync(LuaHostFunction)
        case async(LuaAsyncHostFunction)
    }
    /// The dotted Lua name, e.g. `lander.log.info`.
    let name: String
    let body: Body

    init(name: String, body: Body) {
        self.name = name
        self.body = body
    }
}

/// The arguments of one host call, read straight from the Lua stack (valid only during the call).
public struct LuaArguments {
    let state: OpaquePointer
    unowned(unsafe) let runtime: LuaRuntime
    /// How many arguments the script passed.
    public let count: Int
    /// The function's Lua name, for error messages.
    public let function: String

    /// The argument at a 1-based position; `.nil` past the end.
    public func value(_ position: Int) throws -> LuaValue {
        guard position >= 1, position <= count else { return .nil }
        do {
            return try runtime.value(at: Int32(position), in: state)
        } catch {
            throw LuaArgumentError(position: position, function: function, problem: error.message)
        }
    }

    /// All arguments as values.
    public func all() throws -> [LuaValue] { try (0..<count).map { try value($0 + 1) } }

    /// A required string argument.
    public func string(_ position: Int) throws -> String {
        if position >= 1, position <= count, let s = runtime.string(at: Int32(position), in: state) { return s }
        throw mismatch(position, expected: "string")
    }

    /// An optional string argument.
    public func optionalString(_ position: Int) throws -> String? {
        try isAbsent(position) ? nil : string(position)
    }

    /// A required integer argument (a float with an integral value is accepted).
    public func integer(_ position: Int) throws -> Int64 {
        guard position <= count, lua_type(state, Int32(position)) == LUA_TNUMBER else {
            throw mismatch(position, expected: "integer")
        }
        var exact: Int32 = 0
        let integer = lua_tointegerx(state, Int32(position), &exact)
        guard exact != 0 else { throw mismatch(position, expected: "integer", got: "number with a fraction") }
        return integer
    }

    /// A required number argument.
    public func number(_ position: Int) throws -> Double {
        guard position <= count, lua_type(state, Int32(position)) == LUA_TNUMBER else {
            throw mismatch(position, expected: "number")
        }
        return lua_tonumberx(state, Int32(position), nil)
    }

    /// An optional table argument read as fields.
    public func optionalMap(_ position: Int) throws -> [String: LuaValue]? {
        if isAbsent(position) { return nil }
        guard let map = try value(position).mapValue else { throw mismatch(position, expected: "table of fields") }
        return map
    }

    /// Whether the argument is missing or nil.
    public func isAbsent(_ position: Int) -> Bool {
        position > count || lua_type(state, Int32(position)) <= LUA_TNIL
    }

    private func mismatch(_ position: Int, expected: String, got: String? = nil) -> LuaArgumentError {
        let actual =
            got
            ?? (position > count ? "no value" : String(cString: lua_typename(state, lua_type(state, Int32(position)))))
        return LuaArgumentError(position: position, function: function, problem: "\(expected) expected, got \(actual)")
    }
}

/// The process-wide entry from the C trampoline into Swift.
let hostDispatch: lander_dispatch_fn = { state, id in
    guard let state, let owner = lander_owner(state) else { return LANDER_HOST_ERROR }
    let runtime = Unmanaged<LuaRuntime>.fromOpaque(owner).takeUnretainedValue()
    return runtime.dispatch(state, Int(id))
}

extension LuaRuntime {
    /// Runs host function `id` for the coroutine `lua`; returns a result count or a LANDER_HOST_* status.
    func dispatch(_ lua: OpaquePointer, _ id: Int) -> Int32 {
        guard id >= 0, id < hostFunctions.count else { return raise("unknown host function #\(id)", on: lua) }
        let entry = hostFunctions[id]
        let arguments = LuaArguments(state: lua, runtime: self, count: Int(lua_gettop(lua)), function: entry.name)
        do {
            switch entry.body {
            case .sync(let function):
                let results = try function(arguments)
                guard lua_checkstack(lua, Int32(clamping: results.count + 1)) != 0 else {
                    return raise("too many results from \(entry.name)", on: lua)
                }
                for result in results { try push(result, on: lua) }
                return Int32(results.count)
            case .async(let function):
                guard lua_isyieldable(lua) != 0 else {
                    return raise(
                        "\(entry.name) waits, so it cannot be called here (inside a metamethod, an iterator or a "
                            + "C callback such as table.sort)", on: lua)
                }
                let values = try arguments.all()
                pending = { try await function(values) }
                return LANDER_HOST_YIELD
            }
        } catch {
            return raise(error, on: lua)
        }
    }

    /// Pushes an error message carrying the caller's location and remembers the Swift error behind it.
    func raise(_ error: any Error, on lua: OpaquePointer) -> Int32 {
        pushErrorMessage(for: error, on: lua, level: 1)
        return LANDER_HOST_ERROR
    }

    /// Pushes `chunk:line: message` for a Swift error and records the error under that message.
    func pushErrorMessage(for error: any Error, on lua: OpaquePointer, level: Int32) {
        let text = (error as? LuaError)?.description ?? String(describing: error)
        luaL_where(lua, level)
        pushString(text, on: lua)
        lua_concat(lua, 2)
        if let message = string(at: -1, in: lua) { rememberHostError(error, message: message) }
    }

    private func raise(_ message: String, on lua: OpaquePointer) -> Int32 {
        raise(LuaHostError(message: message), on: lua)
    }
}

/// A plain error raised by a host function.
struct LuaHostError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
