import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import LanderService
import LanderStore
import Logging
import Synchronization

/// The agents connected to this server: each authenticated before its WebSocket is accepted (its name,
/// the time and a signature with its enrolled key), pinged every 5 s (no answer for 5 s more closes it),
/// and dropped when it is revoked. Every refusal is recorded in the store's agent audit.
final class AgentHub: Sendable {
    let store: StateStore
    private let sessions = Mutex<[String: (id: UUID, since: Date)]>([:])

    init(store: StateStore) { self.store = store }

    /// The connected agents and since when.
    var connected: [String: Date] { sessions.withLock { $0.mapValues(\.since) } }

    /// Whether to take a request's upgrade: only `/api/v1/agents/connect`; a refused agent is told why and
    /// closed at once.
    func shouldUpgrade(_ request: HTTPRequest) -> ShouldUpgradeResult<
        WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
    > {
        guard let path = request.path, path.hasPrefix("/api/v1/agents/connect") else { return .dontUpgrade }
        let header = { (name: String) in HTTPField.Name(name).flatMap { request.headerFields[$0] } }
        let name = header("X-Lander-Agent") ?? ""
        let record = name.isEmpty ? nil : (try? store.agent(name)) ?? nil
        if let reason = AgentAuth.refusal(
            of: record, name: name, time: header("X-Lander-Agent-Time").flatMap(Int.init),
            signature: header("X-Lander-Agent-Signature"))
        {
            try? store.audit(agent: name.isEmpty ? nil : name, outcome: "refused", detail: "connection: \(reason)")
            return .upgrade([:]) { _, outbound, _ in
                try await outbound.write(.text(Self.json(["op": "refused", "reason": reason])))
            }
        }
        guard let record else { return .dontUpgrade }
        return .upgrade([:]) { inbound, outbound, _ in
            await self.serve(record, inbound, outbound)
        }
    }

    /// Holds one agent's connection until it ends or the agent is revoked.
    private func serve(_ record: AgentRecord, _ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter)
        async
    {
        let id = UUID()
        let replaced = sessions.withLock { sessions in
            defer { sessions[record.name] = (id, Date()) }
            return sessions[record.name] != nil
        }
        try? store.audit(agent: record.name, outcome: "connected", detail: replaced ? "reconnected" : "connected")
        try? store.agentSeen(record.name)
        try? await outbound.write(
            .text(Self.json(["op": "welcome", "environment": record.environment, "roles": record.roles])))
        let store = self.store
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await _ in inbound.messages(maxSize: 1 << 20) { try? store.agentSeen(record.name) }
                } catch {}
            }
            group.addTask {
                // A revocation made by any process reaches a connected agent within two seconds.
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(2))
                    if let now = try? store.agent(record.name), now.revokedAt != nil {
                        try? await outbound.write(
                            .text(Self.json(["op": "refused", "reason": "agent '\(record.name)' is revoked"])))
                        return
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
        sessions.withLock { sessions in
            if sessions[record.name]?.id == id { sessions[record.name] = nil }
        }
    }

    static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
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
