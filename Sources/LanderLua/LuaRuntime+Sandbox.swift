import CLua
import CLuaShim

/// The prelude's sandbox table: its fields, and the per-plugin environments it makes.
extension LuaRuntime {
    /// Pushes a field of the prelude's sandbox table.
    func pushSandboxField(_ name: String, on lua: OpaquePointer? = nil) {
        let lua = lua ?? state
        lua_rawgeti(lua, lander_registry_index(), lua_Integer(sandboxReference))
        pushString(name, on: lua)
        lua_rawget(lua, -2)
        lua_rotate(lua, -2, 1)
        lander_pop(lua, 1)
    }

    /// Pushes, on `co`, the environment chunks of `plugin` run in (made by the prelude's `env_for`).
    func pushEnvironment(of plugin: String, on co: OpaquePointer) throws(LuaError) {
        pushSandboxField("env_for")
        pushString(plugin, on: state)
        guard lander_pcall(state, 1, 1) == LUA_OK else {
            let text = string(at: -1, in: state) ?? "?"
            lua_settop(state, 0)
            let kind = stopReason() ?? .runtime
            throw LuaError(
                kind,
                message: kind == .runtime ? "cannot make the environment of '\(plugin)': \(text)" : stopMessage(kind))
        }
        lua_xmove(state, co, 1)
    }

    /// Sets a field of the prelude's sandbox table to the value `push` leaves on the main stack.
    func setSandboxField(_ name: String, _ push: (OpaquePointer) -> Void) {
        lua_rawgeti(state, lander_registry_index(), lua_Integer(sandboxReference))
        pushString(name, on: state)
        push(state)
        lua_rawset(state, -3)
        lander_pop(state, 1)
    }
}
