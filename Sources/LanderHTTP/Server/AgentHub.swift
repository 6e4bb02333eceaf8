import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import LanderService
import LanderStore
import LanderTransport
import Logging
import NIOCore
import Synchronization

/// The agents connected to this server: each authenticated before its WebSocket is accepted (its name,
/// the time and a signature with its enrolled key), pinged every 5 s (no answer for 5 s more closes it),
/// and dropped when it is revoked. Deployments reach them through their links; every refusal is recorded
/// in the store's agent audit.
final class AgentHub: AgentConnector {
    let store: StateStore
    private let links = Mutex<[String: (link: AgentLink, since: Date)]>([:])
    /// The one task that drops revoked agents and tells the others of the store's servers, started with
    /// the first connection.
    private let watcher = Mutex<Task<Void, Never>?>(nil)
    /// The live servers the agents were last told of.
    private let told = Mutex<[AgentServerAddress]>([])
    /// How long a deployment waits for an agent that is not connected (it may be reconnecting).
    let connectWait: Duration

    init(store: StateStore, connectWait: Duration = .seconds(15)) {
        self.store = store
        self.connectWait = connectWait
    }

    /// The connected agents and since when.
    var connected: [String: Date] { links.withLock { $0.mapValues(\.since) } }

    /// Whether to take a request's upgrade: only `/api/v1/agents/connect`. Who the agent is gets checked
    /// once the connection is upgraded, off the event loop (the store is not asked on an event loop's
    /// thread); a refused agent is told why and closed at once.
    func shouldUpgrade(_ request: HTTPRequest) -> ShouldUpgradeResult<
        WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
    > {
        guard let path = request.path, path.hasPrefix("/api/v1/agents/connect") else { return .dontUpgrade }
        let header = { (name: String) in HTTPField.Name(name).flatMap { request.headerFields[$0] } }
        let proof = AgentProof(
            name: header("X-Lander-Agent") ?? "", time: header("X-Lander-Agent-Time").flatMap(Int.init),
            signature: header("X-Lander-Agent-Signature"))
        return .upgrade([:]) { inbound, outbound, _ in
            switch self.admit(proof) {
            case .success(let record):
                self.watch()
                await self.serve(record, inbound, outbound)
            case .failure(let refusal):
                try await outbound.write(.text(Self.refusal(refusal.reason).json))
            }
        }
    }

    /// What a connecting agent says of itself.
    struct AgentProof {
        var name: String
        var time: Int?
        var signature: String?
    }

    /// Why a connection is refused.
    struct Refusal: Error {
        var reason: String
    }

    /// The enrolled agent the proof is from, or why it is refused (recorded in the audit).
    private func admit(_ proof: AgentProof) -> Result<AgentRecord, Refusal> {
        let name = proof.name
        let record = name.isEmpty ? nil : (try? store.agent(name)) ?? nil
        var reason = AgentAuth.refusal(of: record, name: name, time: proof.time, signature: proof.signature)
        if reason == nil, let signature = proof.signature { reason = reuse(of: signature) }
        if let reason {
            try? store.audit(agent: name.isEmpty ? nil : name, outcome: "refused", detail: "connection: \(reason)")
            return .failure(Refusal(reason: reason))
        }
        guard let record else { return .failure(Refusal(reason: "no agent '\(name)' is enrolled")) }
        return .success(record)
    }

    /// The agent's current link for a deployment's target; refuses (and records) one for another environment
    /// or without the target's roles, and waits up to `connectWait` for one that is not connected.
    func link(agent: String, target: String, environment: String, roles: [String]) async throws(TransportError)
        -> AgentLink
    {
        let deadline = ContinuousClock.now + connectWait
        while true {
            if let link = links.withLock({ $0[agent]?.link }), link.lostReason == nil {
                try checkScope(link, target: target, environment: environment, roles: roles)
                return link
            }
            guard ContinuousClock.now < deadline, !Task.isCancelled else { break }
            try? await Task.sleep(for: .milliseconds(200))
        }
        let record = (try? store.agent(agent)) ?? nil
        let why: String
        if let record {
            let seen =
                record.lastSeenAt.map { "last heard from \(WorkspaceStatus.age(-$0.timeIntervalSinceNow)) ago" }
                ?? "never connected"
            why = record.revokedAt != nil ? "it is revoked" : "it is not connected to this server (\(seen))"
        } else {
            why = "no agent of that name is enrolled (lander server agent enroll, then lander agent --enroll)"
        }
        throw TransportError(target: target, message: "agent '\(agent)' cannot serve it: \(why)")
    }

    private func checkScope(_ link: AgentLink, target: String, environment: String, roles: [String])
        throws(TransportError)
    {
        let missing = roles.filter { !link.roles.contains($0) }
        guard link.environment != environment || !missing.isEmpty else { return }
        let enrolled = "enrolled for \(link.environment) (roles \(link.roles.joined(separator: ",")))"
        let detail =
            link.environment != environment
            ? "a deployment to \(environment) may not use agent '\(link.agent)', \(enrolled)"
            : "target '\(target)' plays \(missing.joined(separator: ", ")), which agent '\(link.agent)', \(enrolled), "
                + "does not serve"
        try? store.audit(agent: link.agent, outcome: "refused", detail: "work: \(detail)")
        throw TransportError(
            target: target, message: "\(detail); enrol an agent for this environment and these roles")
    }

    /// Holds one agent's connection until it ends or the agent is revoked: one writer drains the link's
    /// outbox, the reader routes what the agent sends.
    private func serve(_ record: AgentRecord, _ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter)
        async
    {
        let link = AgentLink(agent: record.name, environment: record.environment, roles: record.roles)
        let replaced = links.withLock { links in
            defer { links[record.name] = (link, Date()) }
            return links[record.name]?.link
        }
        replaced?.close(reason: "connection to agent '\(record.name)' lost: it connected again")
        try? store.audit(
            agent: record.name, outcome: "connected", detail: replaced != nil ? "reconnected" : "connected")
        try? store.agentSeen(record.name)
        try? await outbound.write(.text(welcome(record).json))
        let store = self.store
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await Self.read(inbound, into: link, store: store) }
            group.addTask {
                while let frame = await link.outbox.next() {
                    switch frame {
                    case .text(let text): try? await outbound.write(.text(text))
                    case .binary(let bytes): try? await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                    }
                }
            }
            await group.next()
            link.close(
                reason: "connection to agent '\(record.name)' lost; whether what it was running finished is unknown")
            group.cancelAll()
        }
        links.withLock { links in
            if links[record.name]?.link === link { links[record.name] = nil }
        }
        try? store.agentSeen(record.name)
    }

    private static func read(_ inbound: WebSocketInboundStream, into link: AgentLink, store: StateStore) async {
        var lastSeen = ContinuousClock.now
        do {
            for try await message in inbound.messages(maxSize: AgentWire.maxMessage) {
                switch message {
                case .text(let text): link.receive(text: text)
                case .binary(let buffer): link.receive(binary: Array(buffer.readableBytesView))
                }
                if ContinuousClock.now - lastSeen > .seconds(30) {
                    lastSeen = ContinuousClock.now
                    try? store.agentSeen(link.agent)
                }
            }
        } catch {}
    }

    /// Why a signature cannot be taken: used before by any server of the store (ECDSA signatures are
    /// randomised, so an agent's own reconnects never repeat one; a repeat is a replay), or the store cannot
    /// say; nil when it is new (and now recorded).
    private func reuse(of signature: String) -> String? {
        do {
            guard try store.firstUse(ofSignature: signature, forgetAfter: 3 * AgentAuth.skew) else {
                return "this signature was already used: a connection's signed headers are good once"
            }
            return nil
        } catch {
            return "the store cannot check the connection's signature now (\(error)); try again"
        }
    }

    /// A revocation made by any process reaches a connected agent within two seconds, and a change in the
    /// store's live servers within ten: one task for the hub reads the revoked names and tells their agents,
    /// which close the connection (or it is closed here on the next pass), and tells every agent the servers
    /// when they changed (so it connects to each, decision 0019).
    private func watch() {
        watcher.withLock { task in
            guard task == nil else { return }
            task = Task(executorPreference: store.executor) { [weak self] in
                var warned: Set<String> = []
                var pass = 0
                while !Task.isCancelled, let self {
                    try? await Task.sleep(for: .seconds(2))
                    pass += 1
                    let revoked = Set(((try? self.store.agents()) ?? []).filter { $0.revokedAt != nil }.map(\.name))
                    for (name, link) in self.links.withLock({ $0.mapValues(\.link) }).map({ ($0.key, $0.value) })
                    where revoked.contains(name) {
                        if warned.contains(name) {
                            link.close(reason: "agent '\(name)' is revoked")
                        } else {
                            link.outbox.send(Self.refusal("agent '\(name)' is revoked"))
                            warned.insert(name)
                        }
                    }
                    if pass % 5 == 0 { self.tellServers() }
                }
            }
        }
    }

    /// The store's live servers with the addresses they advertise, this one first.
    func liveServers() -> [AgentServerAddress] {
        let servers = ((try? store.servers()) ?? []).filter(\.alive).compactMap { server in
            server.address.map { AgentServerAddress(id: server.id, address: $0) }
        }
        return servers.filter { $0.id == StateStore.serverID } + servers.filter { $0.id != StateStore.serverID }
    }

    /// Sends every connected agent the live servers, when they changed since it was last done.
    private func tellServers() {
        let servers = liveServers()
        let changed = told.withLock { told in
            defer { told = servers }
            return Set(told) != Set(servers)
        }
        guard changed else { return }
        var message = AgentMessage(.servers)
        message.servers = servers
        for link in links.withLock({ $0.values.map(\.link) }) { link.outbox.send(message) }
    }

    static func refusal(_ reason: String) -> AgentMessage {
        var message = AgentMessage(.refused)
        message.text = reason
        return message
    }

    /// What an accepted agent is told: its scope, this server's id and the store's live servers.
    func welcome(_ record: AgentRecord) -> AgentMessage {
        var message = AgentMessage(.welcome)
        message.environment = record.environment
        message.roles = record.roles
        message.server = StateStore.serverID
        message.servers = liveServers()
        return message
    }
}

extension APIRouter {
    /// `POST /api/v1/agents/enroll` (the one-time token is the credential) and `GET /api/v1/agents` (admin).
    func addAgentRoutes(to api: RouterGroup<BasicRequestContext>) {
        api.post("agents/enroll") { request, _ in try await enroll(request) }
        api.get("agents") { request, _ in try agents(request) }
    }

    private struct EnrollBody: Decodable {
        var token: String
        var name: String
        var publicKey: String
    }

    private struct Enrolled: Encodable {
        var name: String
        var environment: String
        var roles: [String]
    }

    private func enroll(_ request: Request) async throws -> Response {
        let body = try await APIResponse.decode(EnrollBody.self, from: request)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard (1...64).contains(body.name.count), body.name.allSatisfy(allowed.contains) else {
            throw APIError.badRequest("an agent's name is 1 to 64 letters, digits, '.', '_' or '-'")
        }
        do {
            let record = try server.store.enroll(
                tokenHash: BearerToken.hash(body.token), name: body.name, publicKey: body.publicKey)
            return APIResponse.json(
                Enrolled(name: record.name, environment: record.environment, roles: record.roles), status: .created)
        } catch let refusal as AgentRefusal {
            throw APIError.forbidden(refusal.description)
        }
    }

    private struct AgentView: Encodable {
        var name: String
        var environment: String
        var roles: [String]
        var enrolledAt: Date
        var revokedAt: Date?
        var lastSeenAt: Date?
        var connectedSince: Date?
    }

    private func agents(_ request: Request) throws -> Response {
        try user(request).check(.admin)
        let connected = server.agents.connected
        return APIResponse.json(
            try server.store.agents().map { record in
                AgentView(
                    name: record.name, environment: record.environment, roles: record.roles,
                    enrolledAt: record.enrolledAt, revokedAt: record.revokedAt, lastSeenAt: record.lastSeenAt,
                    connectedSince: connected[record.name])
            })
    }
}
