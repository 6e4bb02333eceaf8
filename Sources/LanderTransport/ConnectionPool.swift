import Foundation
public import LanderModel
import Synchronization

/// The connections of one deployment, one per target, made on first use and closed together at its end.
public final class ConnectionPool: Sendable {
    /// The environment local processes (commands, `ssh`) start with.
    public let localEnvironment: [String: String]
    /// How long a stopped command has between SIGTERM and SIGKILL.
    public let stopGrace: Duration
    /// Who reaches agents (a server's); without one, an agent's target cannot be reached.
    public let agents: (any AgentConnector)?
    /// The environment being deployed (an agent serves only its own).
    public let environment: String
    private let controlDirectory: String
    private let connections = Mutex<[String: any TargetConnection]>([:])

    /// Creates a pool; SSH control sockets go to a new private directory under /tmp (short paths: sockets
    /// have a 108-byte limit).
    public init(
        localEnvironment: [String: String], stopGrace: Duration = .seconds(3), agents: (any AgentConnector)? = nil,
        environment: String = ""
    ) {
        self.localEnvironment = localEnvironment
        self.stopGrace = stopGrace
        self.agents = agents
        self.environment = environment
        var template = Array("/tmp/lander-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, mkdtemp(base) != nil else { return nil }
            return String(cString: base)
        }
        controlDirectory = made ?? "/tmp"
    }

    /// The connection to a target, made on first use; `root` is the planned root (a local one made absolute).
    public func connection(target: String, transport: Transport, root: String, roles: [String] = [])
        -> any TargetConnection
    {
        connections.withLock { connections in
            if let existing = connections[target] { return existing }
            let made: any TargetConnection
            switch transport {
            case .local:
                var local = LocalTransport(target: target, root: root, environment: localEnvironment)
                local.stopGrace = stopGrace
                made = local
            case .ssh(let endpoint, _):
                made = SSHConnection(
                    target: target, endpoint: endpoint, root: root, localEnvironment: localEnvironment,
                    controlPath: "\(controlDirectory)/\(connections.count)", stopGrace: stopGrace)
            case .agent(let agent, _):
                var reached = AgentConnection(target: target, agent: agent, root: root) { () throws(TransportError) in
                    guard let agents = self.agents else {
                        throw TransportError(
                            target: target,
                            message: "it is reached through agent '\(agent)', and agents connect only to lander "
                                + "server: deploy it through the server (lander deploy --server URL …)")
                    }
                    return try await agents.link(
                        agent: agent, target: target, environment: self.environment, roles: roles)
                }
                reached.stopGrace = stopGrace
                made = reached
            }
            connections[target] = made
            return made
        }
    }

    /// Closes every connection (SSH masters) at once.
    public func closeAll() async {
        let all = connections.withLock { Array($0.values) }
        await withTaskGroup(of: Void.self) { group in
            for connection in all { group.addTask { await connection.close() } }
        }
        try? FileManager.default.removeItem(atPath: controlDirectory)
    }
}

/// Finds the connection of the agent serving a target (a server's agent hub).
public protocol AgentConnector: Sendable {
    /// The current connection of `agent`, for target `target` (with `roles`) of a deployment to
    /// `environment`; waits a while for an agent that is reconnecting, and refuses (recording why) an
    /// agent enrolled for another environment or without the target's roles.
    func link(agent: String, target: String, environment: String, roles: [String]) async throws(TransportError)
        -> AgentLink
}
