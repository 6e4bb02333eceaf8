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

/// `lander agent`: enrols once, then holds one outbound WebSocket to the server, pinged every 5 s both ways
/// (a dead peer is noticed within 15 s), and reconnects with exponential backoff and jitter (an outage
/// does not bring every agent back at the same instant).
public final class AgentClient: Sendable {
    let server: URL
    let workDir: String
    let caFile: String?
    /// The name the server's certificate is checked against when `server` is an IP address.
    let tlsName: String?
    let say: @Sendable (String) -> Void
    /// Runs what the server sends; one for the agent's life, so ids it started are remembered across
    /// reconnects.
    let executor: AgentExecutor

    /// A client for the server at `server`, keeping its identity (and relative target roots) in `workDir`.
    public init(
        server: URL, name: String, workDir: String, caFile: String? = nil, tlsName: String? = nil,
        say: @escaping @Sendable (String) -> Void
    ) {
        self.server = server
        self.workDir = workDir
        self.caFile = caFile
        self.tlsName = tlsName
        self.say = say
        executor = AgentExecutor(name: name, workDir: workDir, environment: ProcessInfo.processInfo.environment)
    }

    /// A client for the enrolment request that trusts `caFile` when given (shut down by the caller).
    func httpClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        configuration.tlsConfiguration = tlsConfiguration()
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// TLS for an `https` server: the system's roots, or `caFile`'s.
    func tlsConfiguration() -> TLSConfiguration? {
        guard server.scheme == "https" else { return nil }
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

    /// The WebSocket URL of the server's agent endpoint.
    var connectURL: String {
        var components = URLComponents(url: server, resolvingAgainstBaseURL: false)
        components?.scheme = server.scheme == "https" ? "wss" : "ws"
        components?.path = "/api/v1/agents/connect"
        return components?.string ?? server.absoluteString
    }

    /// Connects and stays connected until cancelled or refused; returns why it stopped.
    public func run(_ identity: AgentIdentity) async -> AgentError {
        var failures = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                try await withTaskCancellationHandler {
                    try await connectOnce(identity)
                } onCancel: {
                    executor.stopAll()
                }
                say("lander agent \(identity.name): the server closed the connection")
            } catch let error as AgentError where error.refused {
                return error
            } catch {
                say("lander agent \(identity.name): connection lost: \(error)")
            }
            // A connection that held a while starts the backoff afresh.
            failures = ContinuousClock.now - started > .seconds(30) ? 1 : failures + 1
            let base = min(30, 0.5 * pow(2, Double(min(failures - 1, 10))))
            let wait = base * Double.random(in: 0.5...1.0)
            say("lander agent \(identity.name): reconnecting in \(String(format: "%.1f", wait))s")
            try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
        }
        await executor.connectionEnded()
        return AgentError("stopped")
    }

    private func connectOnce(_ identity: AgentIdentity) async throws {
        let refusal = Mutex<String?>(nil)
        let name = identity.name
        let say = self.say
        let executor = self.executor
        let logger = Logger(label: "lander.agent") { _ in SwiftLogNoOpLogHandler() }
        try await WebSocketClient.connect(
            url: connectURL, configuration: try configuration(identity), tlsConfiguration: tlsConfiguration(),
            logger: logger
        ) {
            inbound, outbound, _ in
            let outbox = AgentOutbox()
            outbox.send(AgentMessage(.hello))
            let writer = Task {
                while let frame = await outbox.next() {
                    switch frame {
                    case .text(let text): try? await outbound.write(.text(text))
                    case .binary(let bytes): try? await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                    }
                }
            }
            do {
                for try await message in inbound.messages(maxSize: AgentWire.maxMessage) {
                    switch message {
                    case .binary(let buffer):
                        executor.receive(binary: Array(buffer.readableBytesView), answering: outbox)
                    case .text(let text):
                        guard let parsed = AgentMessage(json: text) else { continue }
                        switch parsed.op {
                        case .welcome:
                            say("lander agent \(name): connected (\(Self.scope(parsed)))")
                        case .refused: refusal.withLock { $0 = parsed.text ?? "refused" }
                        default: executor.receive(text: text, answering: outbox)
                        }
                    }
                    if refusal.withLock({ $0 != nil }) { break }
                }
            } catch {}
            outbox.close()
            writer.cancel()
            // What this connection started cannot report back any more: the server has counted it lost.
            await executor.connectionEnded()
        }
        if let reason = refusal.withLock({ $0 }) {
            throw AgentError("the server refused agent \(name): \(reason)", refused: true)
        }
    }

    /// The connection's settings: the signed headers proving who the agent is, pings every 5 s.
    private func configuration(_ identity: AgentIdentity) throws -> WebSocketClientConfiguration {
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
        configuration.sniHostname = tlsName
        return configuration
    }

    /// "environment E, roles r1,r2" from a welcome.
    static func scope(_ welcome: AgentMessage) -> String {
        "environment \(welcome.environment ?? "?"), roles \((welcome.roles ?? []).joined(separator: ","))"
    }
}
