/// A folder of projects deployed together: `lander-workspace.yml` at its root lists the members, the store
/// they share and the plugin directories every member searches.
public struct Workspace: Sendable {
    /// The file's name, looked for in a project's folder and every folder above it.
    public static let fileName = "lander-workspace.yml"

    /// A member project.
    public struct Member: Sendable, Hashable {
        /// Its name (`project:` of its lander.yml).
        public var name: String
        /// Its lander.yml, absolute.
        public var file: String
        /// Its folder, absolute.
        public var directory: String
        /// Its environments' names, in file order.
        public var environments: [String]

        /// Creates a member.
        public init(name: String, file: String, directory: String, environments: [String] = []) {
            self.name = name
            self.file = file
            self.directory = directory
            self.environments = environments
        }
    }

    /// Its name (the root folder's name unless `workspace:` gives one).
    public var name: String
    /// `lander-workspace.yml`, absolute.
    public var file: String
    /// The folder it is in, absolute.
    public var root: String
    /// The member projects, in the order listed (globs sorted).
    public var members: [Member]
    /// The state store every member uses, absolute.
    public var statePath: String
    /// Plugin directories every member searches after its own, absolute.
    public var plugins: [String]
    /// Filters over events and where they are delivered.
    public var subscriptions: [Subscription] = []
    /// Cron-timed promotions, deployments and reports.
    public var schedules: [Schedule] = []
    /// The mail server subscriptions and reports send through.
    public var smtp: SMTPSettings?

    /// Creates a workspace.
    public init(
        name: String, file: String, root: String, members: [Member], statePath: String, plugins: [String]
    ) {
        self.name = name
        self.file = file
        self.root = root
        self.members = members
        self.statePath = statePath
        self.plugins = plugins
    }

    /// The member with this name.
    public func member(named name: String) -> Member? { members.first { $0.name == name } }

    /// The subscription with this name.
    public func subscription(named name: String) -> Subscription? { subscriptions.first { $0.name == name } }

    /// The member whose folder holds this lander.yml.
    public func member(file: String) -> Member? { members.first { $0.file == file } }
}
