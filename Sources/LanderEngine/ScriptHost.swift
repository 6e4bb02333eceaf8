public import LanderModel
public import LanderTransport

/// How the engine reaches Lua (templates and hooks); LanderLua implements it, tests may fake it.
public protocol ScriptHost: Sendable {
    /// The parameters a step template declares; throws when it cannot be found or loaded.
    func signature(ofTemplate name: String) async throws(ScriptError) -> TemplateSignature
    /// The lifecycle points a plugin declares hooks for with `lander.plugin { hooks = … }`, in run order.
    func declaredHooks(ofPlugin name: String) async throws(ScriptError) -> [HookPoint]
    /// Why a hook binding cannot run (its module or function is missing or broken), or nil when it can.
    func problem(with hook: HookBinding) async -> String?
    /// What is wrong with a `module` or `module.function` reference for a point (nil: it resolves).
    func problem(withReference reference: String, point: String) async -> String?
    /// The step templates found on the plugin path (for "did you mean").
    func availableTemplates() -> [String]
    /// Runs a template on one target; returns the outputs it set (`ctx.output`).
    func runTemplate(_ name: String, parameters: [String: ConfigValue], context: TaskContext) async throws(ScriptError)
        -> [String: ConfigValue]
    /// Runs one hook function.
    func runHook(_ binding: HookBinding, context: HookContext) async throws(ScriptError)
    /// Runs a rolling point's function of a plugin for one target (`ctx` as a template's) and returns what
    /// it returned.
    func runRollingHook(_ point: RollingPoint, _ binding: RollingBinding, context: TaskContext)
        async throws(ScriptError) -> ConfigValue
}

/// A failure in a template or hook: names the plugin file and line when Lua knows them.
public struct ScriptError: Error, Sendable, CustomStringConvertible {
    /// The whole message, e.g. `release-dir/init.lua:7: attempt to index a nil value`.
    public var message: String
    /// Whether it was a time limit (the task's timeout).
    public var timedOut: Bool
    /// Whether the deployment's cancellation stopped it.
    public var cancelled: Bool

    /// Creates an error.
    public init(_ message: String, timedOut: Bool = false, cancelled: Bool = false) {
        self.message = message
        self.timedOut = timedOut
        self.cancelled = cancelled
    }

    public var description: String { message }
}

/// A template's declared parameters.
public struct TemplateSignature: Sendable {
    /// The template's name.
    public var name: String
    /// The file it was loaded from, for messages.
    public var file: String
    /// Parameters by name.
    public var parameters: [String: Parameter]

    /// Creates a signature.
    public init(name: String, file: String, parameters: [String: Parameter]) {
        self.name = name
        self.file = file
        self.parameters = parameters
    }

    /// One declared parameter.
    public struct Parameter: Sendable {
        /// Its type.
        public var type: ParameterType
        /// Whether the task must give it.
        public var required: Bool
        /// The value when the task gives none.
        public var defaultValue: ConfigValue?

        /// Creates a parameter.
        public init(type: ParameterType, required: Bool, defaultValue: ConfigValue?) {
            self.type = type
            self.required = required
            self.defaultValue = defaultValue
        }
    }
}

/// The types a template parameter can have.
public enum ParameterType: String, Sendable, CaseIterable {
    case string, integer, number, boolean, list, map

    /// Whether a value written in lander.yml fits.
    public func accepts(_ value: ConfigValue) -> Bool {
        switch (self, value) {
        case (.string, .string), (.integer, .int), (.number, .int), (.number, .double), (.boolean, .bool),
            (.list, .list), (.map, .map):
            true
        default: false
        }
    }
}

/// What a template sees of the target it runs on, and how it reaches it.
public struct TaskContext: Sendable {
    /// The project's name.
    public var project: String
    /// The step and task running.
    public var step: String, task: String
    /// The target's name, roles, root and variables.
    public var target: PlannedTarget
    /// The release.
    public var release: Release
    /// The environment's name and variables.
    public var environment: String, environmentVariables: [String: ConfigValue]
    /// Outputs earlier steps set on this target, by step.
    public var outputs: [String: [String: ConfigValue]]
    /// The connection to the target.
    public var connection: any TargetConnection
    /// Sessions on this deployment's targets.
    public var sessions: SessionStore
    /// The task's timeout, which bounds the whole template run.
    public var timeout: Duration?
    /// The project's directory.
    public var projectDirectory: String
    /// Receives log lines and command output the template produces.
    public var events: EventSink
    /// Masks secrets in what it logs.
    public var masker: Masker
    /// Serves `lander.lock` (nil without a state store).
    public var locks: (any LockService)? = nil
    /// Serves `lander.process`: programs left running from one hook to a later one.
    public var processes: HookProcesses? = nil
    /// Serves `lander.deploy` and `lander.wait_for` (nil where no other deployment can be started).
    public var children: (any ChildDeployments)? = nil
}

/// What a hook sees: the deployment and how it is going.
public struct HookContext: Sendable {
    /// The lifecycle point.
    public var point: HookPoint
    /// The project's name and directory.
    public var project: String, projectDirectory: String
    /// The environment's name and variables.
    public var environment: String, variables: [String: ConfigValue]
    /// The release.
    public var release: Release
    /// The deployment's id.
    public var deployment: String
    /// The step, for `pre_step` and `post_step`.
    public var step: String?
    /// `running`, `succeeded`, `failed` or `cancelled`.
    public var outcome: String
    /// The first error, when something failed.
    public var error: String?
    /// A one-paragraph account of the deployment so far.
    public var summary: String
    /// Receives log lines.
    public var events: EventSink
    /// Serves `lander.lock` (nil without a state store).
    public var locks: (any LockService)? = nil
    /// Serves `lander.process`: programs left running from one hook to a later one.
    public var processes: HookProcesses? = nil
}
