import AsyncHTTPClient
public import Foundation
import HTTPTypes
import HummingbirdWSClient
import LanderService
import LanderTransport
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// `lander agent`: enrols once, then holds one outbound WebSocket to each server of its store — those it
/// was given and those they advertise (decision 0019) — pinged every 5 s both ways (a dead peer is noticed
/// within 15 s), each reconnecting with exponential backoff and jitter (an outage does not bring every
/// agent back at the same instant).
public final class AgentClient: Sendable {
    /// The servers it was given (`--server`); the first is the one it enrols with.
    let servers: [URL]
    let name: String
    let workDir: String
    let caFile: String?
    /// The name the server's certificate is checked against when `server` is an IP address.
    let tlsName: String?
    let say: @Sendable (String) -> Void

    /// A client for the servers at `servers`, keeping its identity (and relative target roots) in `workDir`.
    public init(
        servers: [URL], name: String, workDir: String, caFile: String? = nil, tlsName: String? = nil,
        say: @escaping @Sendable (String) -> Void
    ) {
        self.servers = servers
        self.name = name
        self.workDir = workDir
        self.caFile = caFile
        self.tlsName = tlsName
        self.say = say
    }

    /// The server it enrols with.
    var server: URL { servers.first ?? URL(fileURLWithPath: "/") }

    /// A client for the enrolment request that trusts `caFile` when given (shut down by the caller).
    func httpClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        configuration.tlsConfiguration = tlsConfiguration()
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// TLS for an `https` server: the system's roots, or `caFile`'s.
    func tlsConfiguration(for server: URL? = nil) -> TLSConfiguration? {
        guard (server ?? self.server).scheme == "https" else { return nil }
        var settings = TLSConfiguration.makeClientConfiguration()
        if let caFile { settings.trustRoots = .file(caFile) }
        return settings
    }

    /// Enrols with a one-time token under `name`, and keeps the identity the server confirmed.
    public func enroll(token: String, name: String) async throws -> AgentIdentity {
        var (identity, publicKey) = AgentIdentity.fresh(name: name, server: server.absoluteString)
        var request = HTTPClientRequest(url: server.appendingPathComponent("api/v1/agents/enroll").absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = try JSONSerialization.data(withJSONObject: ["token": token, "name": name, "public_key": publicKey])
        request.body = .bytes(ByteBuffer(bytes: body))
        let http = httpClient()
        defer { Task { try? await http.shutdown() } }
        let response = try await http.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 1 << 20)
        let data = Data(buffer.readableBytesView)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard response.status.code == 201 else {
            throw AgentError(
                "the server refused the enrolment (\(response.status.code)): "
                    + ((object["error"] as? [String: Any])?["message"] as? String ?? "no reason given"),
                refused: true)
        }
        identity.environment = object["environment"] as? String ?? ""
        identity.roles = object["roles"] as? [String] ?? []
        try identity.save(in: workDir)
        return identity
    }

    /// The connection's settings: the signed headers proving who the agent is, pings every 5 s.
    func configuration(_ identity: AgentIdentity, for server: URL) throws -> WebSocketClientConfiguration {
        let time = Int(Date().timeIntervalSince1970)
        let signature = try AgentAuth.sign(name: identity.name, time: time, key: try identity.key())
        var configuration = WebSocketClientConfiguration()
        let headers = [
            ("X-Lander-Agent", identity.name), ("X-Lander-Agent-Time", String(time)),
            ("X-Lander-Agent-Signature", signature),
        ]
        for (field, value) in headers {
            guard let name = HTTPField.Name(field) else { continue }
            configuration.additionalHeaders[name] = value
        }
        configuration.autoPing = .enabled(timePeriod: .seconds(5))
        configuration.maxFrameSize = 1 << 20
        // TLS sends no IP address as the server's name: the certificate's DNS name stands for it.
        if let host = server.host, host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) {
            configuration.sniHostname = tlsName
        }
        return configuration
    }

    /// "environment E, roles r1,r2" from a welcome.
    static func scope(_ welcome: AgentMessage) -> String {
        "environment \(welcome.environment ?? "?"), roles \((welcome.roles ?? []).joined(separator: ","))"
    }
}
