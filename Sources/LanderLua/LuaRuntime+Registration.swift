import CLua
import CLuaShim

/// Host functions: Swift functions scripts call as `lander.*`, or Lander's own chunks as `internal.*`.
extension LuaRuntime {
    /// Makes a Swift function callable as `lander.<path>` (e.g. `"log.info"` or `"lander.log.info"`).
    /// Register before running code: a plugin's environment keeps the API view it was made with.
    public func register(_ name: String, _ function: @escaping LuaHostFunction) {
        install(HostEntry(name: Self.qualified(name), body: .sync(function)))
    }

    /// Makes an async Swift function callable as `lander.<path>`; the calling script waits for it.
    public func register(_ name: String, async function: @escaping LuaAsyncHostFunction) {
        install(HostEntry(name: Self.qualified(name), body: .async(function)))
    }

    /// Makes an async Swift function callable as `internal.<key>` from Lander's own chunks only (plugin
    /// `<lander>`); plugins never see it. `displayName` is what argument errors call it, e.g. `ctx.target:run`.
    func registerInternal(_ key: String, displayName: String, async function: @escaping LuaAsyncHostFunction) {
        install(HostEntry(name: displayName, body: .async(function)), table: "internal", path: [key])
    }

    /// Makes a Swift function callable as `internal.<key>` from Lander's own chunks only.
    func registerInternal(_ key: String, displayName: String, _ function: @escaping LuaHostFunction) {
        install(HostEntry(name: displayName, body: .sync(function)), table: "internal", path: [key])
    }

    static func qualified(_ name: String) -> String {
        name.hasPrefix("lander.") ? name : "lander." + name
    }

    func install(_ entry: HostEntry, table: String = "api", path: [String]? = nil) {
        let id = Int32(hostFunctions.count)
        hostFunctions.append(entry)
        let path = path ?? entry.name.split(separator: ".").dropFirst().map(String.init)
        pushSandboxField(table)
        for component in path.dropLast() {
            pushString(component, on: state)
            lua_rawget(state, -2)
            if lua_type(state, -1) != LUA_TTABLE {
                lander_pop(state, 1)
                lua_createtable(state, 0, 4)
                pushString(component, on: state)
                lua_pushvalue(state, -2)
                lua_rawset(state, -4)
            }
            lua_rotate(state, -2, 1)
            lander_pop(state, 1)
        }
        pushString(path.last ?? entry.name, on: state)
        lander_push_host_function(state, id)
        lua_rawset(state, -3)
        lander_pop(state, 1)
        if table == "api" { setSandboxField("api_view") { lua_pushnil($0) } }  // the view is rebuilt on next use
    }
}
