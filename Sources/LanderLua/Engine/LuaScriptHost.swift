import Foundation
public import LanderEngine
public import LanderModel
import LanderTransport

/// Runs step templates and hooks from the plugin path, each in a fresh sandboxed state.
///
/// A fresh state per template run or hook costs tens of microseconds and keeps targets apart: one
/// target's script can neither see nor break another's.
public struct LuaScriptHost: ScriptHost {
    /// Where templates and hook plugins are found.
    public let pluginPath: PluginPath
    /// The budget of each run (a task's timeout replaces the deadline).
    public let limits: LuaLimits

    /// Creates a host over a plugin path.
    public init(pluginPath: PluginPath, limits: LuaLimits = .default) {
        self.pluginPath = pluginPath
        self.limits = limits
    }

    public func signature(ofTemplate name: String) async throws(ScriptError) -> TemplateSignature {
        let module: PluginPath.Module
        do {
            module = try pluginPath.locate(name)
        } catch {
            throw ScriptError(error.message)
        }
        let runtime = try makeRuntime(limits: limits, events: { _ in }, target: nil)
        let declared = try await load(template: name, in: runtime)
        var parameters: [String: TemplateSignature.Parameter] = [:]
        for (key, spec) in declared.params {
            parameters[key] = try parameter(key, spec, template: name, file: module.chunk)
        }
        return TemplateSignature(name: name, file: module.chunk, parameters: parameters)
    }

    public func declaredHooks(ofPlugin name: String) async throws(ScriptError) -> [HookPoint] {
        let runtime = try makeRuntime(limits: limits, events: { _ in }, target: nil)
        let value: LuaValue
        do {
            value = try await runtime.require(name)
        } catch {
            throw scriptError(error, what: "plugin '\(name)'")
        }
        guard case .map(let fields) = value, case .map(let hooks)? = fields["hooks"] else { return [] }
        let unknown = hooks.keys.filter { HookPoint(rawValue: $0) == nil }.sorted()
        guard unknown.isEmpty else {
            throw ScriptError(
                "plugin '\(name)' declares hooks at unknown points: \(unknown.joined(separator: ", ")); points are "
                    + HookPoint.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return HookPoint.allCases.filter { hooks[$0.rawValue] != nil }
    }

    public func problem(with hook: HookBinding) async -> String? {
        await problem(withReference: hook.reference, point: hook.point.rawValue)
    }

    public func problem(withReference reference: String, point: String) async -> String? {
        let parsed = PluginReference(reference)
        let (module, function) = (parsed.module, parsed.function)
        let value: LuaValue
        do {
            let runtime = try makeRuntime(limits: limits, events: { _ in }, target: nil)
            FileAPI(directory: "/nonexistent").install(in: runtime)
            value = try await runtime.require(module)
        } catch let error as LuaError {
            return error.description
        } catch {
            return "\(error)"
        }
        if Self.hookFunction(value, function: function, point: point) == nil {
            return "module '\(module)' has no function '\(function ?? point)'"
        }
        return nil
    }

    public func availableTemplates() -> [String] {
        var names: Set<String> = []
        for directory in pluginPath.directories {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for entry in entries where !entry.hasPrefix("_") && !entry.hasPrefix(".") {
                if entry.hasSuffix(".lua") {
                    names.insert(String(entry.dropLast(4)))
                } else if FileManager.default.fileExists(atPath: directory + "/" + entry + "/init.lua") {
                    names.insert(entry)
                }
            }
        }
        return names.sorted()
    }

    public func runTemplate(_ name: String, parameters: [String: ConfigValue], context: TaskContext)
        async throws(ScriptError) -> [String: ConfigValue]
    {
        let (runtime, lockAPI) = try taskRuntime(context)
        let declared = try await load(template: name, in: runtime)
        let output: LuaValue
        do {
            defer { if let lockAPI { Task { await lockAPI.releaseAll() } } }
            let builder = try await contextBuilder(in: runtime)
            output =
                try await runtime.call(
                    builder.task, [.function(declared.run), .table(parameters), Self.taskData(context)]
                ).first ?? .nil
        } catch {
            throw scriptError(error, what: "template '\(name)'")
        }
        guard case .map(let map) = output else { return [:] }
        var values: [String: ConfigValue] = [:]
        for (key, value) in map {
            do {
                values[key] = try ConfigValue(lua: value, at: "ctx.output.\(key)")
            } catch {
                throw ScriptError("template '\(name)': \(error.message)")
            }
        }
        return values
    }

    /// What a template's (or rolling function's) `ctx` is built from.
    static func taskData(_ context: TaskContext) -> LuaValue {
        .map([
            "target": .map([
                "name": .string(context.target.name), "root": .string(context.target.root),
                "roles": .array(context.target.roles.map(LuaValue.string)),
                "variables": .table(context.target.variables),
            ]),
            "release": .map(["version": .string(context.release.version)]),
            "environment": .map([
                "name": .string(context.environment), "variables": .table(context.environmentVariables),
            ]),
            "outputs": .map(context.outputs.mapValues { .table($0) }),
            "step": .string(context.step), "task": .string(context.task), "project": .string(context.project),
        ])
    }

    /// A runtime for code that works on one target (a template, a rolling point): the target's API, the
    /// task's time limit, and `lander.lock` when the deployment has a lock service (let go by the caller).
    private func taskRuntime(_ context: TaskContext) throws(ScriptError) -> (LuaRuntime, LockAPI?) {
        var limits = self.limits
        if let timeout = context.timeout { limits.deadline = timeout }
        let runtime = try makeRuntime(
            limits: limits, events: context.events, target: context.target.name, step: context.step,
            task: context.task)
        TargetAPI(context: context).install(in: runtime)
        let lockAPI = context.locks.map { LockAPI(locks: $0, events: context.events) }
        let env = context.target.env
        let guarding = env["LANDER_RUN"].map { run in
            LockGuard(deployment: env["LANDER_DEPLOYMENT"] ?? "", runPrefix: run, remote: !context.target.isLocal)
        }
        lockAPI?.install(in: runtime, step: context.step, guarding: guarding)
        if let children = context.children { ChildAPI(children: children, context: context).install(in: runtime) }
        return (runtime, lockAPI)
    }

    public func runRollingHook(_ point: RollingPoint, _ binding: RollingBinding, context: TaskContext)
        async throws(ScriptError) -> ConfigValue
    {
        let (runtime, lockAPI) = try taskRuntime(context)
        defer { if let lockAPI { Task { await lockAPI.releaseAll() } } }
        let (module, function) = (binding.plugin.module, binding.plugin.function)
        let what = "\(point.rawValue) \(binding.reference) on \(context.target.name)"
        do {
            let value = try await runtime.require(module)
            guard let hook = Self.hookFunction(value, function: function ?? point.rawValue, point: point.rawValue)
            else {
                throw ScriptError(
                    "\(point.rawValue): plugin '\(module)' has no function '\(function ?? point.rawValue)'; return it "
                        + "from the module or from lander.plugin { hooks = { \(point.rawValue) = … } }")
            }
            let builder = try await contextBuilder(in: runtime)
            let result =
                try await runtime.call(
                    builder.rolling, [.function(hook), .table(binding.with), Self.taskData(context)]
                )
                .first ?? .nil
            do {
                return try ConfigValue(lua: result, at: "the result of \(point.rawValue)")
            } catch {
                throw ScriptError("\(what): \(error.message)")
            }
        } catch let error as ScriptError {
            throw error
        } catch let error as LuaError {
            throw scriptError(error, what: what)
        } catch {
            throw ScriptError("\(what): \(error)")
        }
    }

    public func runHook(_ binding: HookBinding, context: HookContext) async throws(ScriptError) {
        let runtime = try makeRuntime(limits: limits, events: context.events, target: nil, step: context.step)
        FileAPI(directory: context.projectDirectory).install(in: runtime)
        if let processes = context.processes { ProcessAPI(processes: processes).install(in: runtime) }
        let lockAPI = context.locks.map { LockAPI(locks: $0, events: context.events) }
        lockAPI?.install(in: runtime, step: context.step ?? context.point.rawValue)
        defer { if let lockAPI { Task { await lockAPI.releaseAll() } } }
        let (module, function) = (binding.plugin.module, binding.plugin.function)
        do {
            let value = try await runtime.require(module)
            guard let hook = Self.hookFunction(value, function: function, point: binding.point.rawValue) else {
                throw ScriptError(
                    "hook \(binding.reference): module '\(module)' has no function "
                        + "'\(function ?? binding.point.rawValue)'; return it from the module or from lander.plugin { hooks = … }"
                )
            }
            let builder = try await contextBuilder(in: runtime)
            let data = LuaValue.map([
                "point": .string(context.point.rawValue), "project": .string(context.project),
                "environment": .map(["name": .string(context.environment), "variables": .table(context.variables)]),
                "release": .map(["version": .string(context.release.version)]),
                "deployment": .map([
                    "id": .string(context.deployment), "outcome": .string(context.outcome),
                    "error": context.error.map(LuaValue.string) ?? .nil,
                ]),
                "step": context.step.map(LuaValue.string) ?? .nil,
                "summary": .string(context.summary),
            ])
            _ = try await runtime.call(builder.hook, [.function(hook), .table(binding.with), data])
        } catch let error as ScriptError {
            throw error
        } catch let error as LuaError {
            throw scriptError(error, what: "hook \(binding.reference)")
        } catch {
            throw ScriptError("hook \(binding.reference): \(error)")
        }
    }

    // MARK: Pieces

    /// `notify.webhook` is module `notify`, function `webhook`; `notify` alone uses the plugin's hook for the point.
    static func hookFunction(_ module: LuaValue, function: String?, point: String) -> LuaFunctionRef? {
        guard case .map(let fields) = module else { return nil }
        if case .map(let hooks)? = fields["hooks"], case .function(let ref)? = hooks[function ?? point] { return ref }
        if case .function(let ref)? = fields[function ?? point] { return ref }
        return nil
    }

    private struct DeclaredTemplate {
        var params: [String: LuaValue]
        var run: LuaFunctionRef
    }

    private func load(template name: String, in runtime: LuaRuntime) async throws(ScriptError) -> DeclaredTemplate {
        let value: LuaValue
        do {
            value = try await runtime.require(name)
        } catch {
            throw scriptError(error, what: "template '\(name)'")
        }
        guard case .map(let fields) = value, fields["kind"] == .string("template"),
            case .function(let run)? = fields["run"]
        else {
            throw ScriptError(
                "template '\(name)' does not declare a template; its module must return lander.template { params = …, run = … }"
            )
        }
        var params: [String: LuaValue] = [:]
        if case .map(let map)? = fields["params"] { params = map }
        return DeclaredTemplate(params: params, run: run)
    }

    private func parameter(_ key: String, _ spec: LuaValue, template: String, file: String) throws(ScriptError)
        -> TemplateSignature.Parameter
    {
        let problem = "\(file): parameter '\(key)' of template '\(template)'"
        guard case .map(let fields) = spec else {
            throw ScriptError("\(problem) must be a table such as { type = \"string\", required = true }")
        }
        guard case .string(let typeName)? = fields["type"], let type = ParameterType(rawValue: typeName) else {
            let names = ParameterType.allCases.map(\.rawValue).joined(separator: ", ")
            throw ScriptError("\(problem) needs type = one of \(names)")
        }
        var defaultValue: ConfigValue?
        if let value = fields["default"], value != .nil {
            do {
                defaultValue = try ConfigValue(lua: value, at: "default")
            } catch {
                throw ScriptError("\(problem): \(error.message)")
            }
            if let defaultValue, !type.accepts(defaultValue) {
                throw ScriptError("\(problem) is \(type.rawValue) but its default is \(defaultValue.typeName)")
            }
        }
        let required = fields["required"] == .boolean(true) || (defaultValue == nil && fields["required"] == nil)
        return TemplateSignature.Parameter(type: type, required: required, defaultValue: defaultValue)
    }

    private struct Builder {
        var task: LuaFunctionRef
        var hook: LuaFunctionRef
        var rolling: LuaFunctionRef
    }

    private func contextBuilder(in runtime: LuaRuntime) async throws(LuaError) -> Builder {
        let module = try await runtime.run(source: contextSource, chunk: "<lander>/context.lua", plugin: "<lander>")
        guard case .map(let fields)? = module.first, case .function(let task)? = fields["task"],
            case .function(let hook)? = fields["hook"], case .function(let rolling)? = fields["rolling"]
        else {
            throw LuaError(.runtime, message: "Lander's context builder is broken (a bug in Lander)")
        }
        return Builder(task: task, hook: hook, rolling: rolling)
    }

    /// A runtime whose `print` and `lander.log` lines are events of the target, step and task given.
    private func makeRuntime(
        limits: LuaLimits, events: @escaping EventSink, target: String?, step: String? = nil, task: String? = nil
    ) throws(ScriptError) -> LuaRuntime {
        do {
            let runtime = try LuaRuntime(
                limits: limits, pluginPath: pluginPath,
                output: { line in
                    events(.log(level: .info, message: line, target: target, step: step, task: task))
                },
                log: { level, message in
                    events(
                        .log(
                            level: LogLevel(rawValue: level.rawValue) ?? .info, message: message, target: target,
                            step: step, task: task))
                })
            HTTPAPI().install(in: runtime)
            NetAPI().install(in: runtime)
            JSONAPI().install(in: runtime)
            return runtime
        } catch {
            throw ScriptError(error.description)
        }
    }

    private func scriptError(_ error: LuaError, what: String) -> ScriptError {
        if let script = error.underlying as? ScriptError { return script }
        let text = error.description
        return ScriptError(
            text.contains(".lua") ? text : "\(what): \(text)", timedOut: error.kind == .deadline,
            cancelled: error.kind == .cancelled)
    }
}
