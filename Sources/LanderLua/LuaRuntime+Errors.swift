import CLua
import CLuaShim

/// Why an entry failed: a budget's stop, or a Lua error with its chunk, line, plugin and traceback.
extension LuaRuntime {
    func stopReason() -> LuaError.Kind? {
        switch lander_budget_stop(budget) {
        case LANDER_STOP_INSTRUCTIONS: return .instructionLimit
        case LANDER_STOP_MEMORY: return .memoryLimit
        case LANDER_STOP_DEADLINE: return .deadline
        case LANDER_STOP_CANCELLED: return .cancelled
        case LANDER_STOP_HOST: return .stopped
        default: return nil
        }
    }

    func stopMessage(_ kind: LuaError.Kind) -> String {
        switch kind {
        case .instructionLimit: "instruction limit of \(limits.instructions ?? 0) exceeded (a runaway loop?)"
        case .memoryLimit: limits.memory.map { "memory limit of \($0) bytes exceeded" } ?? "out of memory"
        case .deadline: "deadline of \(limits.deadline.map { "\($0)" } ?? "?") exceeded"
        case .cancelled: "cancelled"
        case .stopped: stop.reason ?? "stopped by its host"
        default: "stopped"
        }
    }

    /// Builds the Swift error for a coroutine that failed, from its intact stack.
    func failure(_ co: OpaquePointer, status: Int32) -> LuaError {
        luaL_traceback(state, co, nil, 0)
        let traceback = string(at: -1, in: state)
        lander_pop(state, 1)
        let location = firstLuaFrame(co)
        var text = "unknown error"
        if lua_gettop(co) > 0 {
            lua_xmove(co, state, 1)
            if let message = string(at: -1, in: state) {
                text = message
            } else if lander_safe_tostring(state, -1) == LUA_OK, let message = string(at: -1, in: state) {
                text = message
            }
            lua_settop(state, 0)
        }
        let underlying = hostErrors.last { $0.message == text }?.error
        let split = LuaError.splitLocation(text)
        let kind = stopReason() ?? (status == LUA_ERRMEM ? .memoryLimit : .runtime)
        let message = kind == .runtime ? (split?.message ?? text) : stopMessage(kind)
        let chunk = split.map { fullChunkName($0.chunk, frame: location?.chunk) } ?? location?.chunk
        let line = split?.line ?? location?.line
        return LuaError(
            kind, message: message, chunk: chunk, line: line, plugin: chunk.flatMap { chunkPlugins[$0] },
            traceback: traceback, underlying: (underlying as? LuaError)?.underlying ?? underlying)
    }

    /// Lua shortens chunk names past 60 bytes to `...tail`; find the full name again.
    func fullChunkName(_ chunk: String, frame: String?) -> String {
        guard chunk.hasPrefix("...") else { return chunk }
        let tail = chunk.dropFirst(3)
        if let frame, frame.hasSuffix(tail) { return frame }
        return chunkPlugins.keys.first { $0.hasSuffix(tail) } ?? chunk
    }

    func firstLuaFrame(_ co: OpaquePointer) -> (chunk: String, line: Int)? {
        var record = lua_Debug()
        var level: Int32 = 0
        while lua_getstack(co, level, &record) != 0 {
            level += 1
            guard lua_getinfo(co, "Sl", &record) != 0, record.currentline > 0, let source = record.source,
                source.pointee == UInt8(ascii: "@")
            else { continue }
            return (String(cString: source + 1), Int(record.currentline))
        }
        return nil
    }
}
