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
    /// Packages distributed to the targets before the steps run.
    public var packages: [PackageSpec] = []
    /// Versions of other projects an environment must run before this one is deployed there.
    public var requires: [Requirement] = []
    /// Jobs its targets may ask for while a deployment runs (phone home).
    public var jobs: [Job] = []

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
    /// How its targets get packages (a target may override).
    public var acquisition = AcquisitionPolicy()
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
    /// How it gets packages (unset parts come from its environment).
    public var acquisition = AcquisitionPolicy()
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
    /// The system OpenSSH client; commands run in `root` on the remote machine (relative to the login's home).
    case ssh(SSHEndpoint, root: String)
    /// A `lander agent` of this name, connected out to `lander server`; commands run in `root` on its
    /// machine (relative to the agent's work directory).
    case agent(String, root: String)

    /// The directory commands run in.
    public var root: String {
        switch self {
        case .local(let root), .ssh(_, let root), .agent(_, let root): root
        }
    }

    /// The agent a target is reached through, if it is.
    public var agent: String? { if case .agent(let name, _) = self { name } else { nil } }
}

/// Where and how `ssh` reaches a target; anything not set comes from the user's ssh config, as for `ssh`.
public struct SSHEndpoint: Sendable, Hashable {
    /// `host`, `user@host` or an alias from the ssh config.
    public var destination: String
    /// The login name (`-l`), when not in `destination` or the config.
    public var user: String?
    /// The port, when not the config's or 22.
    public var port: Int?
    /// A private key file (`-i`).
    public var identity: String?
    /// A jump host (`ProxyJump`), e.g. `bastion.example.com` or `user@bastion:2222`.
    public var jump: String?
    /// An ssh config file to use instead of `~/.ssh/config` (`-F`).
    public var configFile: String?
    /// More `-o Name=value` options.
    public var options: [String: String]
    /// `yes` (the default: unknown or changed host keys are refused) or `accept-new`.
    public var hostKeyChecking: String

    /// Creates an endpoint.
    public init(
        destination: String, user: String? = nil, port: Int? = nil, identity: String? = nil, jump: String? = nil,
        configFile: String? = nil,
        options: [String: String] = [:], hostKeyChecking: String = "yes"
    ) {
        self.destination = destination
        self.user = user
        self.port = port
        self.identity = identity
        self.jump = jump
        self.configFile = configFile
        self.options = options
        self.hostKeyChecking = hostKeyChecking
    }
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
