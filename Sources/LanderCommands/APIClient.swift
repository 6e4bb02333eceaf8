import ArgumentParser
import Foundation
import LanderEngine

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `--server URL` (or `LANDER_SERVER`), with the token from `LANDER_TOKEN`: the command goes through that
/// `lander server` instead of the embedded store.
struct ServerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A lander server to go through (default: LANDER_SERVER); the token is LANDER_TOKEN.", valueName: "url"))
    var server: String?

    /// The client, when a server is named.
    func client() throws -> APIClient? {
        guard let text = server ?? ProcessInfo.processInfo.environment["LANDER_SERVER"], !text.isEmpty else {
            return nil
        }
        guard let base = URL(string: text), base.scheme == "http" || base.scheme == "https", base.host != nil else {
            printError("lander: --server takes a URL like http://127.0.0.1:7350, not '\(text)'")
            throw ExitCode(ExitCodes.usage)
        }
        return APIClient(base: base, token: ProcessInfo.processInfo.environment["LANDER_TOKEN"])
    }
}

/// The command line's side of the server's API.
struct APIClient: Sendable {
    let base: URL
    let token: String?

    /// One request; a non-2xx answer prints the server's message and exits with the matching code (401/403
    /// refused: 3; 400: 64; 404: `notFound`, 2 for a deploy's project or environment; 422, an invalid
    /// lander.yml: 2; else 3).
    func send(_ method: String, _ path: String, body: Data? = nil, notFound: Int32 = ExitCodes.refused) async throws
        -> Data
    {
        var request = URLRequest(url: url(path))
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            printError("lander: cannot reach the server at \(base.absoluteString): \(error.localizedDescription)")
            throw ExitCode(ExitCodes.refused)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
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
        var request = URLRequest(url: url("/deployments/\(id)/events"))
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.timeoutInterval = 24 * 3600
        let session = URLSession(configuration: .default, delegate: EventLines(continuation), delegateQueue: nil)
        let task = session.dataTask(with: request)
        continuation.onTermination = { _ in
            task.cancel()
            session.finishTasksAndInvalidate()
        }
        task.resume()
        return stream
    }
}

/// Splits a server's event stream into frames and hands on each event's envelope.
private final class EventLines: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let continuation: AsyncStream<EventEnvelope>.Continuation
    private let lock = NSLock()
    private var buffer = Data()
    private var named = false

    init(_ continuation: AsyncStream<EventEnvelope>.Continuation) { self.continuation = continuation }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let lines = lock.withLock { () -> [String] in
            buffer.append(data)
            var lines: [String] = []
            while let newline = buffer.firstIndex(of: 10) {
                lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
            return lines
        }
        for line in lines {
            if line.hasPrefix("event: ") { named = true }
            if line.isEmpty { named = false }
            if !named, line.hasPrefix("data: "), let envelope = EventEnvelope(json: String(line.dropFirst(6))) {
                continuation.yield(envelope)
            }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        continuation.finish()
    }
}
