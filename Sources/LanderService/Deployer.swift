import Foundation
import LanderEngine
import LanderLoading
import LanderLua
public import LanderModel
public import LanderStore
public import LanderTransport
import Synchronization

/// The one way to plan, start, resume, roll back and abandon deployments: the command line, test helpers,
/// the benchmarks and (soon) the server and parent deployments all go through it. It alone takes the
/// project lock, opens the record, builds the journal and the connection pool and runs the engine.
public final class Deployer: Sendable {
    /// Where the state store is.
    public enum StoreChoice: Sendable, Hashable {
        /// `LANDER_STATE`, else `.lander/state.db` beside the project file.
        case standard
        /// This file.
        case path(String)
    }

    /// Where the store is.
    public let store: StoreChoice
    /// How long a lock claim or a deployment's heartbeat lives without renewal.
    public let lease: Duration
    /// How long a stopped command, or a session closed at the end, has between SIGTERM and SIGKILL.
    public let grace: Duration
    /// The deployments running in this process.
    public let running = RunningDeployments()
    /// The stores opened so far, by path: one connection pool per store for every deployment this deployer
    /// starts (a server starts thousands).
    private let stores = Mutex<[String: StateStore]>([:])
    /// Phone home: the grants and job runs of the deployments running here.
    public let desk = CallDesk()
    /// Serves `desk` to the targets (an HTTP endpoint on loopback); without one, targets cannot call home.
    let listener: (any CallbackListener)?
    private let agents = Mutex<(any AgentConnector)?>(nil)

    /// Who reaches the agents of targets that name one (a server's hub); nil outside a server.
    public var agentConnector: (any AgentConnector)? { agents.withLock { $0 } }

    /// Reaches agents through `connector` from now on.
    public func serveAgents(through connector: any AgentConnector) { agents.withLock { $0 = connector } }

    /// Creates a deployer; `listener` serves phone-home calls of its deployments' targets.
    public init(
        store: StoreChoice = .standard, lease: Duration = .seconds(15), grace: Duration = .seconds(3),
        listener: (any CallbackListener)? = nil
    ) {
        self.store = store
        self.lease = lease
        self.grace = grace
        self.listener = listener
    }

    /// The store's path for a project in `directory`: `--state`, else `LANDER_STATE`, else its workspace's
    /// store, else `.lander/state.db` beside the project file.
    public func storePath(forProjectIn directory: String) throws(ServiceError) -> String {
        try storePath(directory: directory) { () throws(ServiceError) in try Self.workspace(forProjectIn: directory) }
    }

    /// The store's path for a project in `directory` whose workspace `workspace` finds (asked only when
    /// neither `--state` nor `LANDER_STATE` decides).
    private func storePath(directory: String, workspace: () throws(ServiceError) -> Workspace?)
        throws(ServiceError) -> String
    {
        switch store {
        case .path(let path): return path
        case .standard:
            if let path = ProcessInfo.processInfo.environment["LANDER_STATE"], !path.isEmpty { return path }
            if let workspace = try workspace() { return workspace.statePath }
            return directory + "/.lander/state.db"
        }
    }

    /// Reads a workspace file, or says what is wrong with it.
    static func loadWorkspace(_ file: String) throws(ServiceError) -> Workspace {
        do {
            return try WorkspaceLoader.load(file: file)
        } catch {
            throw ServiceError(
                .invalidProject, "the workspace \(file) has \(error.diagnostics.count) problem(s); nothing was done",
                diagnostics: error.diagnostics)
        }
    }

    /// The workspace of the project in `directory` (or whose root `directory` is): nil outside any.
    public static func workspace(forProjectIn directory: String) throws(ServiceError) -> Workspace? {
        guard let file = WorkspaceLoader.find(from: directory) else { return nil }
        let workspace = try loadWorkspace(file)
        let folder = URL(fileURLWithPath: directory).standardizedFileURL.path
        let isMember = workspace.member(file: folder + "/lander.yml") != nil
        return isMember || folder == workspace.root ? workspace : nil
    }

    /// The store for a project in `directory`, opened on first use and kept.
    public func openStore(forProjectIn directory: String) throws(ServiceError) -> StateStore {
        try openStore(atPath: try storePath(forProjectIn: directory))
    }

    /// The store of a loaded project (its workspace's, when it has one), opened on first use and kept.
    public func openStore(for loaded: LoadedProject) throws(ServiceError) -> StateStore {
        try openStore(
            atPath: try storePath(directory: loaded.directory) { () throws(ServiceError) in loaded.workspace })
    }

    /// The store at a path, opened on first use and kept.
    public func openStore(atPath path: String) throws(ServiceError) -> StateStore {
        if let open = stores.withLock({ $0[path] }) { return open }
        do {
            let store = try StateStore.open(at: path, lease: lease)
            return stores.withLock { stores in
                if let raced = stores[path] { return raced }
                stores[path] = store
                return store
            }
        } catch {
            throw ServiceError(.refused, "\(error)")
        }
    }

    /// Loads the project and plans the request, without writing to the store (packages resolve against
    /// their feeds; a `.release` and the versions `requires:` asks for are read from the store, when there
    /// is one).
    public func plan(_ request: DeploymentRequest) async throws(ServiceError) -> (LoadedProject, PlannedRelease) {
        let loaded = try LoadedProject.load(request.project, plugins: request.plugins)
        if !loaded.project.requires.isEmpty, !request.ignoreRequirements,
            StateStore.exists(
                at: try storePath(directory: loaded.directory) { () throws(ServiceError) in loaded.workspace })
        {
            _ = try checkRequirements(loaded.project, request, store: try openStore(for: loaded))
        }
        return try await plan(request, loaded, store: nil)
    }

    /// Plans a request for a loaded project; `store`, when already open, is where a `.release` is read.
    private func plan(_ request: DeploymentRequest, _ loaded: LoadedProject, store: StateStore?)
        async throws(ServiceError) -> (LoadedProject, PlannedRelease)
    {
        let (version, packages) = try await choose(request, loaded, store: store)
        let planned = try await loaded.plan(
            environment: request.environment, version: version, packages: packages,
            overrides: request.variableOverrides)
        return (loaded, planned)
    }

    /// Plans the request and starts it: it waits for the project lock (or refuses, as the request says),
    /// is recorded, and runs; the handle follows it, and so does `observer` when given (instead of the
    /// handle's event stream).
    public func deploy(_ request: DeploymentRequest, observer: (any DeploymentObserver)? = nil)
        async throws(ServiceError) -> DeploymentHandle
    {
        try await deploy(
            request, loaded: try LoadedProject.load(request.project, plugins: request.plugins),
            observer: observer)
    }

    /// Deploys a request whose project the caller has loaded already.
    func deploy(_ request: DeploymentRequest, loaded: LoadedProject, observer: (any DeploymentObserver)?)
        async throws(ServiceError) -> DeploymentHandle
    {
        let store = try openStore(for: loaded)
        let ignored = try checkRequirements(loaded.project, request, store: store)
        let (_, planned) = try await plan(request, loaded, store: store)
        let plan = planned.plan
        let id = request.id ?? Deployment.newID()
        let notes =
            (request.note.map { [$0] } ?? [])
            + (ignored.isEmpty ? [] : ["requirements ignored: " + ignored.joined(separator: "; ")])
        let new = NewDeployment(
            id: id, kind: request.kind, project: plan.project, environment: plan.environment,
            version: plan.release.version, packages: plan.release.packages, variables: plan.recordedVariables,
            projectFile: loaded.file, pluginPath: loaded.plugins,
            note: notes.isEmpty ? nil : notes.joined(separator: "; "), parent: request.parent)
        var asked = new
        if request.requester != .here { asked.requestedBy = request.requester.user }
        let recorded = asked
        return start(
            planned, loaded: loaded, store: store, id: id, wait: request.wait, startedFrom: .fresh,
            observer: observer, takesLock: request.takesProjectLock
        ) { () throws(StoreError) in try store.begin(recorded) }
    }

    /// The version and exact packages a request deploys.
    private func choose(_ request: DeploymentRequest, _ loaded: LoadedProject, store: StateStore?)
        async throws(ServiceError) -> (String, [ResolvedPackage])
    {
        switch request.version {
        case .version(let version):
            return (version, try await loaded.resolvePackages(request.packages, releaseVersion: version))
        case .release(let name):
            guard request.packages.isEmpty else {
                throw ServiceError(.invalidRequest, "--release deploys the release's own packages; drop --package")
            }
            let opened: StateStore
            if let store { opened = store } else { opened = try openStore(for: loaded) }
            let recorded: [ResolvedPackage]?
            do {
                recorded = try opened.release(project: loaded.project.name, version: name)
            } catch {
                throw ServiceError(.refused, "\(error)")
            }
            guard let recorded else {
                throw ServiceError(
                    .refused,
                    "no release \(name) of \(loaded.project.name) is recorded; create it with "
                        + "`lander release create \(name) --package ID=VERSION`")
            }
            return (name, recorded)
        }
    }
}
