import Foundation
import LanderTesting

/// A real `lander server` on a loopback port the system picks, and HTTP to it through curl.
final class ServerProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    let directory: URL
    /// Where requests go: `http://127.0.0.1:PORT`, or the address and scheme the server was started with.
    var base: String
    /// More curl arguments for every request (`--cacert` for a server with a private certificate).
    var curlOptions: [String] = []
    /// The environment it was started with beyond the test's (`PGPASSWORD`), given to the commands run for it.
    let environment: [String: String]

    /// Starts the server for the workspace in `directory` and waits until it says where it listens.
    static func start(_ directory: URL, arguments: [String] = [], environment: [String: String] = [:]) async throws
        -> ServerProcess
    {
        let process = Process()
        process.executableURL = try Lander.executable
        process.arguments = ["server", "--workspace", directory.path, "--listen", "127.0.0.1:0"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = await firstLine(of: output.fileHandleForReading)
        guard let range = text.range(of: #"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+:(\d+)"#, options: .regularExpression),
            let port = Int(text[range].split(separator: ":").last ?? "")
        else {
            process.terminate()
            throw ServerError("lander server did not say where it listens: \(text)")
        }
        let host = text[range].split(separator: ":").first.map(String.init) ?? "127.0.0.1"
        let scheme = arguments.contains("--tls-cert") ? "https" : "http"
        return ServerProcess(
            process: process, port: port, directory: directory, base: "\(scheme)://\(host):\(port)",
            environment: environment)
    }

    /// The first line a pipe gives (or what it gave before its end), read on a Dispatch thread: a blocking
    /// read on the cooperative pool starves the tests beside it.
    private static func firstLine(of handle: FileHandle) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var text = ""
                while !text.contains("\n") {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    text += String(decoding: data, as: UTF8.self)
                }
                continuation.resume(returning: text)
            }
        }
    }

    private init(process: Process, port: Int, directory: URL, base: String, environment: [String: String]) {
        self.environment = environment
        self.process = process
        self.port = port
        self.directory = directory
        self.base = base
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    /// A token made with `lander server token create`.
    func token(_ role: String, project: String? = nil, environment scope: String? = nil) async throws -> String {
        var arguments = ["server", "token", "create", "--workspace", directory.path, "--role", role, "--name", role]
        if let project { arguments += ["--project", project] }
        if let scope { arguments += ["--environment", scope] }
        let run = try await Lander.run(arguments, environment: environment)
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One request: its status and body (the token goes in a config file, never on curl's command line).
    func request(_ method: String, _ path: String, token: String?, body: String? = nil, headers: [String] = [])
        async throws -> (status: Int, body: String)
    {
        let scratch = try Scratch()
        var arguments = [
            "-s", "-o", scratch.url.appendingPathComponent("body").path, "-w", "%{http_code}", "-X", method,
        ]
        if let token {
            let config = scratch.url.appendingPathComponent("curl.conf")
            try "header = \"Authorization: Bearer \(token)\"\n".write(to: config, atomically: true, encoding: .utf8)
            arguments += ["-K", config.path]
        }
        for header in headers { arguments += ["-H", header] }
        if let body {
            let file = scratch.url.appendingPathComponent("request.json")
            try body.write(to: file, atomically: true, encoding: .utf8)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@" + file.path]
        }
        arguments += curlOptions
        arguments.append(base + path)
        let run = try await Program.run("/usr/bin/curl", arguments, timeout: .seconds(60))
        let text = (try? String(contentsOf: scratch.url.appendingPathComponent("body"), encoding: .utf8)) ?? ""
        return (Int(run.stdout) ?? 0, text)
    }

    /// A browser's request: the dashboard cookie (in a config file, like the token), a form body; its status,
    /// response headers (lowercased names) and body.
    func page(_ method: String, _ path: String, cookie: String?, form: String? = nil, token: String? = nil)
        async throws -> (status: Int, headers: [String: String], body: String)
    {
        let scratch = try Scratch()
        let headers = scratch.url.appendingPathComponent("headers")
        var arguments = [
            "-s", "-o", scratch.url.appendingPathComponent("body").path, "-D", headers.path, "-w", "%{http_code}",
            "-X", method,
        ]
        var config = ""
        if let cookie { config += "cookie = \"lander_token=\(cookie)\"\n" }
        if let token { config += "header = \"Authorization: Bearer \(token)\"\n" }
        if let form { config += "data = \"\(form)\"\n" }
        let file = scratch.url.appendingPathComponent("curl.conf")
        try config.write(to: file, atomically: true, encoding: .utf8)
        arguments += ["-K", file.path, "http://127.0.0.1:\(port)\(path)"]
        let run = try await Program.run("/usr/bin/curl", arguments, timeout: .seconds(60))
        var fields: [String: String] = [:]
        for line in ((try? String(contentsOf: headers, encoding: .utf8)) ?? "").split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let text = (try? String(contentsOf: scratch.url.appendingPathComponent("body"), encoding: .utf8)) ?? ""
        return (Int(run.stdout) ?? 0, fields, text)
    }

    /// The JSON object of a body.
    static func object(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    /// The `data:` JSON of each SSE frame, and the frames' names (`snapshot-end`), in order.
    static func frames(_ stream: String) -> [(event: String?, data: [String: Any])] {
        stream.components(separatedBy: "\n\n").compactMap { frame in
            var event: String?
            var data: [String: Any]?
            for line in frame.split(separator: "\n") {
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = object(String(line.dropFirst(6))) }
            }
            return data.map { (event, $0) }
        }
    }

    /// Waits for a deployment to reach a state (through the API).
    func wait(for id: String, state: String, token: String) async throws -> [String: Any] {
        for _ in 0..<1500 {
            let view = Self.object(try await request("GET", "/api/v1/deployments/\(id)", token: token).body)
            if view["state"] as? String == state { return view }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ServerError("deployment \(id) never reached \(state)")
    }
}

/// The server did not do what a test waited for.
struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
