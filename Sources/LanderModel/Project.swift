/// One deployable thing, as `lander.yml` describes it.
public struct Project: Sendable {
    /// The project's name (`project:`).
    public var name: String
    /// Plugin directories, relative to the project file's directory.
    public var plugins: [String]
    /// Project-wide variables, the lowest scope.
    public var variables: [String: ConfigValue]
    /// Environments in file order.
    public var environments: [Environment]
    /// Hooks bound to lifecycle points.
    public var hooks: [HookBinding]
    /// Plugins whose declared hooks attach at every point they name (`use:`).
    public var uses: [PluginUse] = []
    /// Steps, run in order.
    public var steps: [Step]

    /// Creates a project.
    public init(
        name: String, plugins: [String] = [], variables: [String: ConfigValue] = [:],
        environments: [Environment] = [], hooks: [HookBinding] = [], steps: [Step] = []
    ) {
        self.name = name
        self.plugins = plugins
        self.variables = variables
        self.environments = environments
        self.hooks = hooks
        self.steps = steps
    }

    /// The environment with a name.
    public func environment(named name: String) -> Environment? { environments.first { $0.name == name } }

    /// Every role any environment defines.
    public var roles: Set<String> { Set(environments.flatMap { $0.roles }) }
}

/// Dev, test, production…: concrete targets for the project's roles, and variables.
public struct Environment: Sendable {
    /// The environment's name.
    public var name: String
    /// Variables for this environment (above project scope).
    public var variables: [String: ConfigValue]
    /// Variables per role (above environment scope).
    public var roleVariables: [String: [String: ConfigValue]]
    /// The targets, in file order.
    public var targets: [Target]
    /// Where the environment is declared.
    public var location: SourceLocation?

    /// Creates an environment.
    public init(
        name: String, variables: [String: ConfigValue] = [:], roleVariables: [String: [String: ConfigValue]] = [:],
        targets: [Target] = [], location: SourceLocation? = nil
    ) {
        self.name = name
        self.variables = variables
        self.roleVariables = roleVariables
        self.targets = targets
        self.location = location
    }

    /// The roles its targets carry, sorted.
    public var roles: [String] { Set(targets.flatMap(\.roles)).sorted() }

    /// The targets that carry a role, in file order.
    public func targets(withRole role: String) -> [Target] { targets.filter { $0.roles.contains(role) } }
}

/// One machine, or a local directory acting as one.
public struct Target: Sendable, Hashable {
    /// The target's name, unique in its environment.
    public var name: String
    /// How commands reach it.
    public var transport: Transport
    /// The roles it plays.
    public var roles: [String]
    /// Variables for this target (above role scope).
    public var variables: [String: ConfigValue]
    /// Where the target is declared.
    public var location: SourceLocation?

    /// Creates a target.
    public init(
        name: String, transport: Transport, roles: [String], variables: [String: ConfigValue] = [:],
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.transport = transport
        self.roles = roles
        self.variables = variables
        self.location = location
    }
}

/// How commands reach a target.
public enum Transport: Sendable, Hashable {
    /// Processes on this machine, run in `root` (relative to the project directory unless absolute).
    case local(root: String)
}

/// A plugin attached with `use:`: its hooks run at the points it declares, with these options.
public struct PluginUse: Sendable, Hashable {
    /// The plugin's module name.
    public var plugin: String
    /// Options passed to each of its hooks.
    public var with: [String: ConfigValue]
    /// Where it is named.
    public var location: SourceLocation?

    /// Creates a use.
    public init(plugin: String, with: [String: ConfigValue] = [:], location: SourceLocation? = nil) {
        self.plugin = plugin
        self.with = with
        self.location = location
    }
}
