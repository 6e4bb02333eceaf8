import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
public import LanderModel
import LanderService
public import LanderStore
import Logging
import NIOCore
import NIOSSL
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
    let hub: EventHub
    let queue: DeploymentQueue
    /// Status and deployment answers, kept until the store changes.
    let answers: StoreCache<ByteBuffer>
    /// The dashboard grid's cells, by token scope.
    let gridCells: StoreCache<[DashboardViews.Cell]>
    private let grace: Duration
    /// How many deployments it runs at once, at most.
    let maxRunning: Int
    let background: ServerBackground
    /// The agents connected to this server.
    let agents: AgentHub
    private let app = Mutex<Task<Void, any Error>?>(nil)

    /// A server for a workspace; at most `maxRunning` deployments at once.
    public init(workspace: Workspace, maxRunning: Int = 4, grace: Duration = .seconds(30)) throws {
        self.workspace = workspace
        deployer = Deployer(store: .path(workspace.statePath), listener: CallbackServer())
        store = try deployer.openStore(atPath: workspace.statePath)
        let background = ServerBackground(
            workspace: workspace, store: store, deployer: deployer, parallel: maxRunning)
        self.background = background
        let outbox = background.outbox
        hub = EventHub(onEvent: { outbox.wake() })
        let agents = AgentHub(store: store)
        self.agents = agents
        deployer.serveAgents(through: agents)
        queue = DeploymentQueue(deployer: deployer, store: store, workspace: workspace, hub: hub, limit: maxRunning)
        answers = StoreCache(store: store)
        gridCells = StoreCache(store: store)
        self.grace = grace
        self.maxRunning = maxRunning
    }

    /// A certificate chain and its private key (PEM files) for HTTPS.
    public struct TLSFiles: Sendable {
        /// The certificate chain.
        public var certificate: String
        /// The private key.
        public var key: String

        /// Names the files.
        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }

        /// The server's TLS configuration, or why the files cannot be used.
        func configuration() throws -> TLSConfiguration {
            let chain: [NIOSSLCertificate]
            let key: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificate)
            } catch {
                throw ServerStartError("cannot read the certificate \(certificate) (PEM expected): \(error)")
            }
            do {
                key = try NIOSSLPrivateKey(file: self.key, format: .pem)
            } catch {
                throw ServerStartError("cannot read the private key \(self.key) (PEM expected): \(error)")
            }
            return TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        }
    }

    /// Listens on `host:port` (0: the system picks) over HTTP, or HTTPS with `tls`, and serves until
    /// `shutdown`; `ready` gets the port. The store records `advertise` (default: the address listened on)
    /// as where agents and other clients reach this server.
    public func run(
        host: String, port: Int, tls: TLSFiles? = nil, advertise: String? = nil,
        ready: @escaping @Sendable (Int) -> Void
    ) async throws {
        let router = Router()
        let api = APIRouter(server: self)
        api.add(to: router)
        DashboardRouter(server: self, api: api, secure: tls != nil).add(to: router)
        let agents = self.agents
        // HTTP/1.1 that also takes agents' WebSocket upgrades; both sides ping every 5 s.
        let http = HTTPServerBuilder.http1WebSocketUpgrade(
            configuration: .init(ws: .init(maxFrameSize: 1 << 20, autoPing: .enabled(timePeriod: .seconds(5))))
        ) { request, _, _ in agents.shouldUpgrade(request) }
        let application = Application(
            router: router,
            server: try tls.map { try .tls(http, tlsConfiguration: try $0.configuration()) } ?? http,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { [store, maxRunning] channel in
                let bound = channel.localAddress?.port ?? port
                try? store.registerServer(
                    address: advertise ?? Self.address(host: host, port: bound, tls: tls != nil), capacity: maxRunning)
                ready(bound)
            },
            logger: Logger(label: "lander.server") { _ in SwiftLogNoOpLogHandler() })
        for entry in (try? store.queued()) ?? [] { hub.open(entry.id) }
        let queue = self.queue
        // The server's work runs where its store's calls may wait (`StateStore.executor`): a database outage
        // holds no thread the rest of the server needs.
        let watching = Task(executorPreference: store.executor) { await queue.watch() }
        defer { watching.cancel() }
        background.start()
        let task = Task(executorPreference: store.executor) { try await application.run() }
        app.withLock { $0 = task }
        try await withTaskCancellationHandler {
            _ = try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// The URL of a listening address; a wildcard host stands for this machine's name.
    static func address(host: String, port: Int, tls: Bool) -> String {
        let name = ["0.0.0.0", "::", "[::]", ""].contains(host) ? ProcessInfo.processInfo.hostName : host
        let bracketed = name.contains(":") && !name.hasPrefix("[") ? "[\(name)]" : name
        return "\(tls ? "https" : "http")://\(bracketed):\(port)"
    }

    /// Stops taking work, lets running deployments finish for up to the grace period, cancels the rest
    /// (their cleanup runs), then stops listening.
    public func shutdown() async {
        async let queued: Void = queue.drain(grace: grace)
        async let scheduled: Void = background.stop(grace: grace)
        _ = await (queued, scheduled)
        try? store.serverStopped()
        app.withLock { $0?.cancel() }
    }
}

/// Why the server cannot start (a file it was given cannot be used).
public struct ServerStartError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
