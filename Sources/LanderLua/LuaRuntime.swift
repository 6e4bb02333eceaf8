import CLua
import CLuaShim
import Foundation
import Synchronization

/// One sandboxed Lua 5.4 state with its host functions and plugin path.
///
/// Not thread-safe (a `lua_State` never is): use it from one task at a time. Scripts run in
/// coroutines, so an async host function suspends the script while Swift awaits, without blocking
/// a thread; many runtimes can run side by side.
public final class LuaRuntime {
    let state: OpaquePointer
    /// A process-unique identity, so function references cannot cross runtimes.
    public let id: UInt64
    /// The budget each entry runs under.
    public let limits: LuaLimits
    /// Where `require` finds modules.
    public let pluginPath: PluginPath
    var hostFunctions: [HostEntry] = []
    /// The async work the coroutine that just yielded is waiting for.
    var pending: (@Sendable () async throws -> [LuaValue])?
    var hostErrors: [(message: String, error: any Error)] = []
    var chunkPlugins: [String: String] = [:]
    private var runner: OpaquePointer?
    private var lastEntryFailed = false
    let budget: OpaquePointer
    /// Stops this runtime's script from any thread, for a reason (a lock it held was lost).
    public let stop = LuaStop()
    private var runnerReference: Int32 = LUA_NOREF
    var sandboxReference: Int32 = LUA_NOREF
    private let output: @Sendable (String) -> Void
    private let log: @Sendable (LuaLogLevel, String) -> Void

    private static let nextID = Atomic<UInt64>(1)
    private static let dispatchInstalled: Bool = {
        lander_set_dispatch(hostDispatch)
        lander_set_cancel_check { withUnsafeCurrentTask { $0?.isCancelled ?? false } ? 1 : 0 }
        return true
    }()

    /// Creates a state with the sandbox and the base `lander.*` API (`log.*`, `sleep`).
    /// - Parameters:
    ///   - output: receives each line scripts `print`.
    ///   - log: receives `lander.log.*` messages.
    public init(
        limits: LuaLimits = .default, pluginPath: PluginPath = PluginPath([]),
        output: @escaping @Sendable (String) -> Void = { print($0) },
        log: @escaping @Sendable (LuaLogLevel, String) -> Void = { level, message in
            print("[\(level.rawValue)] \(message)")
        }
    ) throws(LuaError) {
        precondition(Self.dispatchInstalled)
        guard let state = lander_newstate(nil) else {
            throw LuaError(.memoryLimit, message: "cannot create a Lua state: out of memory")
        }
        self.state = state
        self.budget = lander_budget_of(state)
        self.id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        self.limits = limits
        self.pluginPath = pluginPath
        self.output = output
        self.log = log
        lander_set_owner(state, Unmanaged.passUnretained(self).toOpaque())
        stop.attach(BudgetHandle(pointer: budget))
        try installPrelude()
        lander_set_limits(state, limits.memory ?? 0, Int64(limits.instructions ?? 0))
    }

    deinit {
        stop.attach(nil)
        lander_close(state)
    }

    /// Bytes the state holds now.
    public var memoryUsed: Int { lander_memory_used(state) }

    // MARK: Entries

    /// Compiles and runs a chunk in `plugin`'s environment; returns what the chunk returns.
    /// - Parameter chunk: the name errors show, e.g. `notify/init.lua`.
    nonisolated(nonsending) public func run(source: String, chunk: String, plugin: String? = nil) async throws(LuaError)
        -> [LuaValue]
    {
        let plugin = plugin ?? Self.pluginName(ofChunk: chunk)
        chunkPlugins[chunk] = plugin
        return try await enter { co throws(LuaError) in
            try load(source: source, chunk: chunk, on: co)
            try pushEnvironment(of: plugin, on: co)
            _ = lua_setupvalue(co, -2, 1)
            return 0
        }
    }

    /// Loads a module from the plugin path (as `require` does) and returns its value.
    nonisolated(nonsending) public func require(_ module: String) async throws(LuaError) -> LuaValue {
        try await enter { co throws(LuaError) in
            pushSandboxField("require", on: co)
            pushString(module, on: co)
            return 1
        }.first ?? .nil
    }

    /// Calls a Lua function this runtime returned earlier.
    nonisolated(nonsending) public func call(_ function: LuaFunctionRef, _ arguments: [LuaValue] = [])
        async throws(LuaError) -> [LuaValue]
    {
        try await enter { co throws(LuaError) in
            guard lua_checkstack(co, Int32(clamping: arguments.count + 2)) != 0 else {
                throw LuaError(.conversion, message: "too many arguments")
            }
            guard function.runtimeID == id else {
                throw LuaError(.conversion, message: "a function from another Lua runtime cannot be called here")
            }
            lua_rawgeti(co, lander_registry_index(), lua_Integer(function.reference))
            for argument in arguments { try push(argument, on: co) }
            return Int32(arguments.count)
        }
    }

    /// Drops a function reference so the function can be collected.
    public func release(_ function: LuaFunctionRef) {
        guard function.runtimeID == id else { return }
        luaL_unref(state, lander_registry_index(), function.reference)
    }

    /// The plugin a chunk belongs to when none is given: `notify/init.lua` is `notify`, `tour.lua` is `tour`.
    static func pluginName(ofChunk chunk: String) -> String {
        let components = chunk.split(separator: "/")
        guard let file = components.last else { return chunk }
        if file == "init.lua", components.count > 1 { return String(components[components.count - 2]) }
        return file.hasSuffix(".lua") ? String(file.dropLast(4)) : String(file)
    }

    /// Runs one entry on the runner coroutine: `prepare` pushes the function and arguments.
    ///
    /// The coroutine is resumed synchronously; only when it yields for host work does the entry
    /// await. Cancellation of the calling task is polled by the budget hook, so a busy script stops too.
    @inline(__always)
    nonisolated(nonsending) private func enter(
        _ prepare: (OpaquePointer) throws(LuaError) -> Int32
    ) async throws(LuaError) -> [LuaValue] {
        guard !Task.isCancelled else { throw LuaError(.cancelled, message: stopMessage(.cancelled)) }
        if let reason = stop.reason { throw LuaError(.stopped, message: reason) }
        let co = runnerThread()
        let deadline = limits.deadline.map { lander_monotonic_ns() + Self.nanoseconds($0) } ?? 0
        lander_begin_entry(state, co, deadline)
        // A trip between the check and the entry's fresh budget is not lost.
        if stop.reason != nil { lander_budget_interrupt(budget, LANDER_STOP_HOST) }
        if lastEntryFailed { resetLoading() }
        if !hostErrors.isEmpty { hostErrors.removeAll(keepingCapacity: true) }
        do {
            var arguments = try prepare(co)
            while true {
                switch try step(co, arguments: arguments) {
                case .finished(let results): return results
                case .waiting(let operation): arguments = await perform(operation, resuming: co, deadline: deadline)
                }
            }
        } catch {
            discardRunner()
            lastEntryFailed = true
            throw error
        }
    }

    private enum Step {
        case finished([LuaValue])
        case waiting(@Sendable () async throws -> [LuaValue])
    }

    /// Resumes the coroutine once: it finishes, fails, or yields for host work.
    private func step(_ co: OpaquePointer, arguments: Int32) throws(LuaError) -> Step {
        var count: Int32 = 0
        let status = lander_resume(co, state, arguments, &count)
        let operation = pending
        pending = nil
        switch status {
        case LUA_YIELD:
            guard count == 1, lander_is_yield_marker(co, -1) != 0, let operation else {
                var error = failure(co, status: LUA_ERRRUN)
                error.message = "coroutine.yield was called outside of a coroutine"
                throw error
            }
            lander_pop(co, 1)
            return .waiting(operation)
        case LUA_OK:
            defer { lua_settop(co, 0) }
            if let stop = stopReason() { throw LuaError(stop, message: stopMessage(stop)) }
            return .finished(try values(top: count, in: co))
        default:
            throw failure(co, status: status)
        }
    }

    /// Awaits host work and pushes `true, results…` or `false, message` for the waiting coroutine.
    nonisolated(nonsending) private func perform(
        _ operation: @escaping @Sendable () async throws -> [LuaValue], resuming co: OpaquePointer, deadline: Int64
    ) async -> Int32 {
        let base = lua_gettop(co)
        do {
            let results = try await Self.await(
                operation, deadline: deadline, budget: BudgetHandle(pointer: budget), stop: stop)
            guard lua_checkstack(co, Int32(clamping: results.count + 2)) != 0 else {
                throw LuaError(.conversion, message: "too many results")
            }
            lua_pushboolean(co, 1)
            for result in results { try push(result, on: co) }
            return Int32(results.count + 1)
        } catch {
            lua_settop(co, base)
            lua_pushboolean(co, 0)
            pushErrorMessage(for: error, on: co, level: 1)
            return 2
        }
    }

    /// Host work, abandoned at the deadline or when the armed stop switch trips.
    private static func await(
        _ operation: @escaping @Sendable () async throws -> [LuaValue], deadline: Int64, budget: BudgetHandle,
        stop: LuaStop
    ) async throws -> [LuaValue] {
        if Task.isCancelled { throw LuaHostError(message: "cancelled") }
        if let reason = stop.reason { throw LuaHostError(message: reason) }
        let watched = stop.isArmed
        guard deadline != 0 || watched else { return try await operation() }
        return try await withThrowingTaskGroup(of: [LuaValue]?.self) { group in
            group.addTask { try await operation() }
            if deadline != 0 {
                group.addTask {
                    let remaining = deadline - lander_monotonic_ns()
                    if remaining > 0 { try await Task.sleep(nanoseconds: UInt64(remaining)) }
                    return nil
                }
            }
            if watched {
                group.addTask {
                    await stop.tripped()
                    return nil
                }
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let results = first else {
                if let reason = stop.reason { throw LuaHostError(message: reason) }
                if Task.isCancelled { throw LuaHostError(message: "cancelled") }
                budget.interrupt(LANDER_STOP_DEADLINE)
                throw LuaHostError(message: "deadline exceeded")
            }
            return results
        }
    }

    // MARK: State plumbing

    private func runnerThread() -> OpaquePointer {
        if let runner { return runner }
        let thread = lua_newthread(state)
        runnerReference = luaL_ref(state, lander_registry_index())
        runner = thread
        return thread ?? state
    }

    private func discardRunner() {
        guard runner != nil else { return }
        luaL_unref(state, lander_registry_index(), runnerReference)
        runner = nil
        runnerReference = LUA_NOREF
    }

    private func load(source: String, chunk: String, on lua: OpaquePointer) throws(LuaError) {
        var source = source
        let status = source.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) { lander_load(lua, $0.baseAddress, $0.count, "@" + chunk, "t") }
        }
        guard status == LUA_OK else {
            let text = string(at: -1, in: lua) ?? "cannot load \(chunk)"
            lander_pop(lua, 1)
            if status == LUA_ERRMEM {
                throw LuaError(
                    .memoryLimit, message: stopMessage(.memoryLimit), chunk: chunk, plugin: chunkPlugins[chunk])
            }
            let split = LuaError.splitLocation(text)
            throw LuaError(
                .syntax, message: split?.message ?? text, chunk: chunk, line: split?.line, plugin: chunkPlugins[chunk])
        }
    }

    private func installPrelude() throws(LuaError) {
        guard let bytecode = Self.preludeBytecode else {
            throw LuaError(.syntax, message: "the Lander prelude does not compile (a bug in Lander)")
        }
        let status = bytecode.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { lander_load(state, $0.baseAddress, $0.count, "=lander", "b") }
        }
        guard status == LUA_OK else { throw LuaError(.syntax, message: "cannot load the Lander prelude") }
        lander_push_yield_marker(state)
        var host: [(String, HostEntry)] = [
            (
                "print",
                HostEntry(
                    name: "print",
                    body: .sync { [output] arguments in
                        output(try arguments.string(1))
                        return []
                    })
            ),
            (
                "find_module",
                HostEntry(
                    name: "require",
                    body: .sync { [unowned self] arguments in
                        try self.findModule(arguments.string(1))
                    })
            ),
            ("sleep", HostEntry(name: "lander.sleep", body: .async(Self.sleep))),
        ]
        for level in LuaLogLevel.allCases {
            host.append(
                (
                    "log_" + level.rawValue,
                    HostEntry(
                        name: "lander.log." + level.rawValue,
                        body: .sync { [log] arguments in
                            log(level, try arguments.string(1))
                            return []
                        })
                ))
        }
        lua_createtable(state, 0, Int32(host.count))
        for (name, entry) in host {
            pushString(name, on: state)
            lander_push_host_function(state, Int32(hostFunctions.count))
            hostFunctions.append(entry)
            lua_rawset(state, -3)
        }
        guard lander_pcall(state, 2, 1) == LUA_OK else {
            let text = string(at: -1, in: state) ?? "?"
            throw LuaError(.runtime, message: "the Lander prelude failed (a bug in Lander): \(text)")
        }
        sandboxReference = luaL_ref(state, lander_registry_index())
    }

    private static let preludeBytecode: [UInt8]? = {
        var size = 0
        let compiled = preludeSource.withCString { source in
            lander_compile(source, preludeSource.utf8.count, "=lander", &size)
        }
        guard let compiled else { return nil }
        defer { free(compiled) }
        return compiled.withMemoryRebound(to: UInt8.self, capacity: size) {
            Array(UnsafeBufferPointer(start: $0, count: size))
        }
    }()

    private func findModule(_ name: String) -> [LuaValue] {
        do {
            let module = try pluginPath.locate(name)
            guard let contents = FileManager.default.contents(atPath: module.path) else {
                return [.nil, .string("module '\(name)': cannot read \(module.path)")]
            }
            chunkPlugins[module.chunk] = module.plugin
            return [.bytes(Array(contents)), .string("@" + module.chunk), .string(module.plugin)]
        } catch {
            return [.nil, .string(error.message)]
        }
    }

    private static let sleep: LuaAsyncHostFunction = { arguments in
        guard let seconds = arguments.first?.doubleValue, seconds >= 0 else {
            throw LuaArgumentError(position: 1, function: "lander.sleep", problem: "seconds (a number >= 0) expected")
        }
        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        return []
    }

    /// Forgets modules left half-loaded by a failed entry, so the next `require` retries them.
    private func resetLoading() {
        lastEntryFailed = false
        setSandboxField("loading") { lua_createtable($0, 0, 0) }
    }

    func rememberHostError(_ error: any Error, message: String) {
        if hostErrors.count >= 64 { hostErrors.removeFirst() }
        hostErrors.append((message, error))
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// The budget of a state, handed to cancellation handlers on other threads (the flag is atomic).
struct BudgetHandle: @unchecked Sendable {
    let pointer: OpaquePointer?
    func interrupt(_ reason: Int32) {
        if let pointer { lander_budget_interrupt(pointer, reason) }
    }
}
