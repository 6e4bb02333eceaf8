import Foundation
import LanderTesting
import Testing

/// The helpers' folder: `Tests/Helpers` of this checkout.
enum Helpers {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Helpers")
    }

    /// Waits (bounded) for a file the helper writes once it listens, and reads its port.
    static func port(in file: String, of pid: pid_t, _ what: String) async throws -> Int {
        for _ in 0..<1_000 {
            if let text = try? String(contentsOfFile: file, encoding: .utf8), let port = Int(text) { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        kill(pid, SIGKILL)
        throw FleetError("\(what) did not start")
    }

    /// Waits (bounded, sleeping between looks without holding a thread) until `condition` holds.
    static func eventually(_ seconds: Double = 30, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try condition()
    }

    /// A self-signed certificate for 127.0.0.1 (subjectAltName IP) made by openssl: (certificate, key).
    static func certificate(in directory: URL) throws -> (String, String) {
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj",
            "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FleetError("openssl could not make a certificate") }
        return (cert, key)
    }
}

/// `Tests/Helpers/webhook_listener.py`: a real HTTP receiver that checks signatures, answers the first
/// `fail` requests 500, holds requests while the hold file exists, and logs every request.
final class WebhookListener: Sendable {
    let port: Int
    let log: String
    let holdFile: String
    private let pid: pid_t

    init(in directory: URL, secret: String, fail: Int = 0, hold: Bool = false) async throws {
        let name = UUID().uuidString.prefix(8)
        let portFile = directory.appendingPathComponent("hook-port-\(name)").path
        log = directory.appendingPathComponent("hook-log-\(name)").path
        holdFile = directory.appendingPathComponent("hook-hold-\(name)").path
        if hold { _ = FileManager.default.createFile(atPath: holdFile, contents: Data()) }
        pid = try RollingFleet.spawn([
            "/bin/sh", "-c", "exec python3 \"$@\" >/dev/null 2>&1", "sh",
            Helpers.directory.appendingPathComponent("webhook_listener.py").path, portFile, log, secret, "--fail",
            String(fail), "--hold", holdFile,
        ])
        port = try await Helpers.port(in: portFile, of: pid, "the webhook listener")
    }

    /// Where subscriptions post: `http://127.0.0.1:PORT/PATH`.
    func url(_ path: String = "lander") -> String { "http://127.0.0.1:\(port)/\(path)" }

    /// Every request so far, in arrival order.
    func requests() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The bodies of requests answered 200, decoded.
    func delivered() -> [[String: Any]] {
        requests().filter { ($0["status"] as? Int) == 200 && ($0["held"] as? Bool) != true }.compactMap {
            try? JSONSerialization.jsonObject(with: Data(($0["body"] as? String ?? "").utf8)) as? [String: Any]
        }
    }

    /// Lets held requests go (and answers later ones at once).
    func release() { try? FileManager.default.removeItem(atPath: holdFile) }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}

/// `Tests/Helpers/smtp_server.py`: Debian's aiosmtpd, requiring STARTTLS and AUTH when given them; each mail
/// saved as JSON.
final class MailServer: Sendable {
    let port: Int
    let directory: String
    private let pid: pid_t

    init(in scratch: URL, tls: (String, String)? = nil, user: (String, String)? = nil) async throws {
        let name = UUID().uuidString.prefix(8)
        let portFile = scratch.appendingPathComponent("smtp-port-\(name)").path
        directory = scratch.appendingPathComponent("mail-\(name)").path
        var arguments = [
            "/bin/sh", "-c", "exec /usr/bin/python3 \"$@\" >/dev/null 2>&1", "sh",
            Helpers.directory.appendingPathComponent("smtp_server.py").path, portFile, directory,
        ]
        if let tls { arguments += ["--tls", tls.0, tls.1] }
        if let user { arguments += ["--user", user.0, user.1] }
        pid = try RollingFleet.spawn(arguments)
        port = try await Helpers.port(in: portFile, of: pid, "the SMTP server")
    }

    /// The mails received, in order.
    func mails() -> [[String: Any]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
            $0.hasSuffix(".json")
        }.sorted()
        return names.compactMap {
            guard let data = FileManager.default.contents(atPath: "\(directory)/\($0)") else { return nil }
            return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        }
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}

/// The `subscriptions` fixture with the test's smtp/subscriptions/schedules block.
enum SubscriptionWorkspace {
    static func make(_ settings: String) throws -> URL {
        let directory = try Scratch().url.appendingPathComponent("ws")
        _ = try Fixture("subscriptions").copy(to: directory, ["SETTINGS": settings])
        return directory
    }

    /// Rewrites the workspace's settings (the fixture's file with another block).
    static func rewrite(_ root: URL, _ settings: String) throws {
        let text = "members: [billing, checkout, batch]\nplugins: [plugins]\n\(settings)\n"
        try text.write(to: root.appendingPathComponent("lander-workspace.yml"), atomically: true, encoding: .utf8)
    }

    /// `lander ARGS` run in the workspace's folder.
    static func lander(_ root: URL, _ arguments: [String], _ environment: [String: String] = [:]) async throws
        -> Lander.Run
    {
        try await Program.run(
            try Lander.executable.path, arguments, environment: environment, directory: root.path,
            timeout: .seconds(120))
    }

    /// Deploys a project of the workspace.
    static func deploy(
        _ root: URL, _ project: String, _ environment: String, _ version: String, _ variables: [String: String] = [:]
    ) async throws -> Lander.Run {
        try await lander(
            root, ["deploy", "-f", "\(project)/lander.yml", "-e", environment, "--version", version, "--plain"],
            variables)
    }
}

/// The subscription, mail, schedule and report suites, one test at a time: each starts several `lander`
/// processes and helpers, and together at once they would starve the rest of the suite.
@Suite(.serialized) struct NotifyTests {}
