import Foundation
import Hummingbird
public import LanderModel
import LanderService
public import LanderStore
import Logging
import NIOCore
import Synchronization

/// `lander server`: the workspace's deployments behind HTTP. A bounded number run at once from a queue
/// kept in the store; every request carries a token checked against its role and scope; events stream
/// as Server-Sent Events. SIGTERM (`shutdown`) stops taking work, lets running deployments finish for a
/// grace period, then cancels them with their cleanup.
public final class LanderServer: Sendable {
    /// The workspace served.
    public let workspace: Workspace
    /// Its store.
    public let store: StateStore
    let deployer: Deployer
    let hub = EventHub()
    let queue: DeploymentQueue
    private let grace: Duration
    private let app = Mutex<Task<Void, any Error>?>(nil)

    /// A server for a workspace; at most `maxRunning` deployments at once.
    public init(workspace: Workspace, maxRunning: Int = 4, grace: Duration = .seconds(30)) throws {
        self.workspace = workspace
        deployer = Deployer(store: .path(workspace.statePath), listener: CallbackServer())
        store = try deployer.openStore(atPath: workspace.statePath)
        queue = DeploymentQueue(deployer: deployer, store: store, workspace: workspace, hub: hub, limit: maxRunning)
        self.grace = grace
    }

    /// Listens on `host:port` (0: the system picks) and serves until `shutdown`; `ready` gets the port.
    public func run(host: String, port: Int, ready: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        APIRouter(server: self).add(to: router)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in ready(channel.localAddress?.port ?? port) },
            logger: Logger(label: "lander.server") { _ in SwiftLogNoOpLogHandler() })
        for entry in (try? store.queued()) ?? [] { hub.open(entry.id) }
        Task { await queue.pump() }
        let task = Task { try await application.run() }
        app.withLock { $0 = task }
        try await withTaskCancellationHandler {
            _ = try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// Stops taking work, lets running deployments finish for up to the grace period, cancels the rest
    /// (their cleanup runs), then stops listening.
    public func shutdown() async {
        await queue.drain(grace: grace)
        app.withLock { $0?.cancel() }
    }
}
