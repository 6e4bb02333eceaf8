import ArgumentParser
import AsyncHTTPClient
import Foundation
import LanderEngine
import NIOCore
import NIOHTTP1
import NIOSSL

/// `--server URL` (or `LANDER_SERVER`), with the token from `LANDER_TOKEN`: the command goes through that
/// `lander server` instead of the embedded store.
struct ServerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A lander server to go through (default: LANDER_SERVER); the token is LANDER_TOKEN.", valueName: "url"))
    var server: String?

    @Option(
        help: ArgumentHelp(
            "A CA certificate (PEM) to trust for an https:// server, besides the system's (default: LANDER_CA_FILE).",
            valueName: "file"))
    var caFile: String?

    /// The client, when a server is named.
    func client() throws -> APIClient? {
        let environment = ProcessInfo.processInfo.environment
        guard let text = server ?? environment["LANDER_SERVER"], !text.isEmpty else { return nil }
        guard let base = URL(string: text), base.scheme == "http" || base.scheme == "https", base.host != nil else {
            printError("lander: --server takes a URL like http://127.0.0.1:7350, not '\(text)'")
            throw ExitCode(ExitCodes.usage)
        }
        let authority = caFile ?? environment["LANDER_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        var trust: NIOSSLAdditionalTrustRoots?
        if let authority {
            do {
                trust = .certificates(try NIOSSLCertificate.fromPEMFile(authority))
            } catch {
                printError("lander: cannot read the CA certificate \(authority) (PEM expected): \(error)")
                throw ExitCode(ExitCodes.usage)
            }
        }
        return APIClient(base: base, token: environment["LANDER_TOKEN"], trust: trust)
    }
}

/// The command line's side of the server's API.
struct APIClient: Sendable {
    let base: URL
    let token: String?
    /// A CA to trust besides the system's (`--ca-file`).
    var trust: NIOSSLAdditionalTrustRoots?

    /// One request; a non-2xx answer prints the server's message and exits with the matching code (401/403
    /// refused: 3; 400: 64; 404: `notFound`, 2 for a deploy's project or environment; 422, an invalid
    /// lander.yml: 2; else 3).
    func send(_ method: String, _ path: String, body: Data? = nil, notFound: Int32 = ExitCodes.refused) async throws
        -> Data
    {
        let status: Int
        let data: Data
        do {
            let response = try await Self.http.execute(request(method, path, body: body), timeout: .seconds(900))
            status = Int(response.status.code)
            data = Data(buffer: try await response.body.collect(upTo: 256 << 20))
        } catch {
            throw unreachable(error)
        }
        guard (200..<300).contains(status) else {
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            let message = (object?["error"] as? [String: Any])?["message"] as? String ?? "HTTP \(status)"
            printError("lander: the server refused (\(status)): \(message)")
            switch status {
            case 400: throw ExitCode(ExitCodes.usage)
            case 404: throw ExitCode(notFound)
            case 422: throw ExitCode(ExitCodes.invalidProject)
            default: throw ExitCode(ExitCodes.refused)
            }
        }
        return data
    }

    /// The process's HTTP client: a connection that cannot be made (refused, a certificate not trusted) fails
    /// the request at once instead of being tried again until its deadline. Never shut down: it lives as
    /// long as the command.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// A request to the API: the token in its header, JSON in, the CA given trusted over https.
    private func request(_ method: String, _ path: String, body: Data? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url(path).absoluteString)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        if let trust {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [trust]
            request.tlsConfiguration = tls
        }
        return request
    }

    /// The server could not be reached: what happened and, for TLS, what to do.
    private func unreachable(_ error: any Error) -> ExitCode {
        var text = "lander: cannot reach the server at \(base.absoluteString): \(error)"
        if base.scheme == "https", error is NIOSSLError || error is BoringSSLError {
            text += "; for a certificate from a private CA, give --ca-file FILE (or LANDER_CA_FILE)"
        }
        printError(text)
        return ExitCode(ExitCodes.refused)
    }

    /// `BASE/api/v1PATH` (PATH may carry a query).
    func url(_ path: String) -> URL {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + "/api/v1" + path) ?? base
    }

    /// A JSON answer, decoded as the store's records are encoded (snake_case keys, ISO 8601 dates).
    func get<T: Decodable>(_ type: T.Type, _ path: String) async throws -> T {
        let data = try await send("GET", path)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = EventEnvelope.date(timestamp: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: text))
            }
            return date
        }
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            printError("lander: the server's answer to \(path) is not what this lander reads: \(error)")
            throw ExitCode(ExitCodes.refused)
        }
    }

    /// A deployment's events as the server streams them, in order, until it ends.
    func events(of id: String) -> AsyncStream<EventEnvelope> {
        let (stream, continuation) = AsyncStream<EventEnvelope>.makeStream()
        let request = request("GET", "/deployments/\(id)/events")
        let task = Task {
            defer { continuation.finish() }
            guard let response = try? await Self.http.execute(request, deadline: .distantFuture),
                response.status == .ok
            else { return }
            var frames = EventFrames()
            do {
                for try await chunk in response.body {
                    for envelope in frames.add(chunk) { continuation.yield(envelope) }
                }
            } catch {
                return
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// Splits a server's event stream into lines and hands on each unnamed frame's event envelope (named frames,
/// like `snapshot-end`, and comments are skipped).
private struct EventFrames {
    private var buffer: [UInt8] = []
    private var named = false

    mutating func add(_ chunk: ByteBuffer) -> [EventEnvelope] {
        buffer.append(contentsOf: chunk.readableBytesView)
        var envelopes: [EventEnvelope] = []
        while let newline = buffer.firstIndex(of: 10) {
            let line = String(decoding: buffer[..<newline], as: UTF8.self)
            buffer.removeSubrange(...newline)
            if line.hasPrefix("event: ") { named = true }
            if line.isEmpty { named = false }
            if !named, line.hasPrefix("data: "), let envelope = EventEnvelope(json: String(line.dropFirst(6))) {
                envelopes.append(envelope)
            }
        }
        return envelopes
    }
}
