public import LanderEngine
public import LanderModel

/// A script host whose templates and hooks are Swift closures: the engine tested without Lua.
public struct FakeScriptHost: ScriptHost {
    /// A template: its parameters and what it does on a target (returns its outputs).
    public struct Template: Sendable {
        public var parameters: [String: TemplateSignature.Parameter]
        public var run: @Sendable ([String: ConfigValue], TaskContext) async throws -> [String: ConfigValue]

        /// Creates a template.
        public init(
            parameters: [String: TemplateSignature.Parameter] = [:],
            run: @escaping @Sendable ([String: ConfigValue], TaskContext) async throws -> [String: ConfigValue]
        ) {
            self.parameters = parameters
            self.run = run
        }
    }

    /// Templates by name.
    public var templates: [String: Template]
    /// Hooks by reference (`plugin` or `plugin.function`).
    public var hooks: [String: @Sendable (HookContext) async throws -> Void]

    /// Creates a host.
    public init(
        templates: [String: Template] = [:], hooks: [String: @Sendable (HookContext) async throws -> Void] = [:]
    ) {
        self.templates = templates
        self.hooks = hooks
    }

    public func signature(ofTemplate name: String) async throws(ScriptError) -> TemplateSignature {
        guard let template = templates[name] else { throw ScriptError("no template '\(name)'") }
        return TemplateSignature(name: name, file: "fake/\(name)", parameters: template.parameters)
    }

    public func declaredHooks(ofPlugin name: String) async throws(ScriptError) -> [HookPoint] { [] }

    public func problem(with hook: HookBinding) async -> String? {
        hooks[hook.reference] == nil ? "no hook '\(hook.reference)'" : nil
    }

    public func problem(withReference reference: String, point: String) async -> String? { nil }

    public func availableTemplates() -> [String] { templates.keys.sorted() }

    public func runTemplate(_ name: String, parameters: [String: ConfigValue], context: TaskContext)
        async throws(ScriptError) -> [String: ConfigValue]
    {
        guard let template = templates[name] else { throw ScriptError("no template '\(name)'") }
        do {
            return try await template.run(parameters, context)
        } catch let error as ScriptError {
            throw error
        } catch {
            throw ScriptError("\(error)")
        }
    }

    public func runHook(_ binding: HookBinding, context: HookContext) async throws(ScriptError) {
        guard let hook = hooks[binding.reference] else { throw ScriptError("no hook '\(binding.reference)'") }
        do {
            try await hook(context)
        } catch {
            throw ScriptError("\(error)")
        }
    }

    public func runRollingHook(_ point: RollingPoint, _ binding: RollingBinding, context: TaskContext)
        async throws(ScriptError) -> ConfigValue
    {
        .null
    }
}
