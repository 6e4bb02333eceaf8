import Foundation
public import LanderModel
public import LanderStore

/// What `lander status` shows, locally or from a server: the workspace's grid, the deployments running
/// and interrupted, and every lock's holders and waiters.
public struct StoreStatus: Codable, Sendable {
    /// The workspace's grid (nil outside one).
    public var workspace: WorkspaceStatus?
    /// Deployments running now.
    public var running: [DeploymentRecord]
    /// Deployments whose lander stopped mid-way.
    public var interrupted: [DeploymentRecord]
    /// Live lock claims.
    public var locks: [LockClaim]

    /// Reads it from a store; `covers` keeps only what a caller may see (a scoped API token).
    public init(
        workspace: Workspace?, store: StateStore,
        covers: (_ project: String, _ environment: String) -> Bool = { _, _ in true }
    ) throws(StoreError) {
        let open = try store.openDeployments().filter { covers($0.project, $0.environment) }
        if let workspace {
            self.workspace = try WorkspaceStatus(workspace, store: store, covers: covers)
        } else {
            self.workspace = nil
        }
        running = open.filter { $0.status == "running" }
        interrupted = open.filter { $0.status == "interrupted" }
        locks = try store.lockClaims()
    }
}

/// A workspace's projects × environments, each cell the version there, how its newest deployment went and
/// when, or what runs now (its step, what it waits for).
public struct WorkspaceStatus: Codable, Sendable {
    /// One project in one environment.
    public struct Cell: Codable, Sendable {
        /// The project.
        public var project: String
        /// The environment.
        public var environment: String
        /// The newest deployment there.
        public var newest: DeploymentSummary?
        /// The version the environment runs (its newest successful deployment).
        public var current: String?
        /// The step a running deployment is in.
        public var step: String?
        /// What a running deployment waits for.
        public var waitingFor: String?
    }

    /// The workspace's name.
    public var workspace: String
    /// Every environment a member has, in the members' order.
    public var environments: [String]
    /// The cells, member by member.
    public var cells: [Cell]

    /// Reads the grid from the workspace's store (only the cells `covers` lets through).
    public init(
        _ workspace: Workspace, store: StateStore, covers: (String, String) -> Bool = { _, _ in true }
    ) throws(StoreError) {
        self.workspace = workspace.name
        var environments: [String] = []
        for name in workspace.members.flatMap(\.environments) where !environments.contains(name) {
            environments.append(name)
        }
        self.environments = environments
        var cells: [Cell] = []
        let newestOf = try store.newestDeployments()
        let currentOf = try store.currentDeployments()
        for member in workspace.members {
            for environment in environments
            where member.environments.contains(environment) && covers(member.name, environment) {
                let key = StateStore.cell(member.name, environment)
                let newest = newestOf[key].map(DeploymentSummary.init)
                var cell = Cell(
                    project: member.name, environment: environment, newest: newest, current: currentOf[key]?.version)
                if let newest, newest.status == "running" {
                    cell.step = try store.currentStep(of: newest.id)
                    cell.waitingFor = try store.waitingFor(in: newest.id)
                }
                cells.append(cell)
            }
        }
        self.cells = cells
    }

    /// `45s`, `12m`, `5h`, `3d`.
    public static func age(_ seconds: Double) -> String {
        switch max(0, seconds) {
        case ..<60: "\(Int(seconds))s"
        case ..<3600: "\(Int(seconds / 60))m"
        case ..<86400: "\(Int(seconds / 3600))h"
        default: "\(Int(seconds / 86400))d"
        }
    }
}
