import Foundation
import LanderTesting
import Synchronization

/// A real HAProxy on 127.0.0.1 in front of real HTTP backend processes, with ports chosen at run time;
/// everything it starts is stopped by `stop()`.
final class RollingFleet: @unchecked Sendable {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/rolling")

    let directory: URL
    let frontendPort: UInt16
    let backendPorts: [UInt16]
    let socket: String
    /// The runtime API's TCP port (besides the unix socket).
    let adminPort: UInt16
    private var haproxy: pid_t?

    /// Starts `count` backends serving `version` (each in its target directory) and HAProxy in front.
    init(count: Int, version: String) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lander-rolling-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var ports: [UInt16] = []
        for _ in 0...(count + 1) { ports.append(try Self.freePort()) }
        frontendPort = ports[0]
        adminPort = ports[1]
        backendPorts = Array(ports.dropFirst(2))
        socket = directory.appendingPathComponent("haproxy.sock").path
        do {
            try await start(count: count, version: version)
        } catch {
            stop()  // nothing it started outlives a failed start
            throw error
        }
    }

    private func start(count: Int, version: String) async throws {
        for index in 0..<count {
            let root = target(index)
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            let status = try await Self.shell(
                [
                    Self.fixtures.appendingPathComponent("restart.sh").path, "s\(index + 1)", "\(backendPorts[index])",
                    version,
                ],
                in: root)
            guard status == 0 else { throw FleetError("backend s\(index + 1) did not start") }
        }
        let servers = backendPorts.enumerated().map { "    server s\($0.offset + 1) 127.0.0.1:\($0.element) check" }
        let config = try String(contentsOf: Self.fixtures.appendingPathComponent("haproxy.cfg"), encoding: .utf8)
            .replacingOccurrences(of: "@SOCKET@", with: socket)
            .replacingOccurrences(of: "@ADMIN_PORT@", with: "\(adminPort)")
            .replacingOccurrences(of: "@FRONTEND_PORT@", with: "\(frontendPort)")
            .replacingOccurrences(of: "@SERVERS@", with: servers.joined(separator: "\n"))
        let configPath = directory.appendingPathComponent("haproxy.cfg")
        try config.write(to: configPath, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("haproxy.log").path
        haproxy = try Self.spawn([
            "/bin/sh", "-c", "exec /usr/sbin/haproxy -db -f \"$0\" >\"$1\" 2>&1", configPath.path, log,
        ])
        for _ in 0..<1200 where !FileManager.default.fileExists(atPath: socket) {
            try await Task.sleep(for: .milliseconds(25))
        }
        // The socket's file exists once HAProxy bound it, a moment before it listens: a refused connection
        // then means "not yet" (seen on a loaded CI machine). A loaded machine gets 30 s; an HAProxy that
        // exited (a port taken between the choice and the bind) says why.
        for _ in 0..<1200 where (try? await upServers()) ?? 0 < count {
            if let haproxy, !runs(haproxy) { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        guard (try? await upServers()) == count else {
            let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            let state = haproxy.map { runs($0) ? "running" : "exited" } ?? "not started"
            throw FleetError("HAProxy (\(state)) did not see every backend UP: \(said.suffix(600))")
        }
    }

    /// A target's directory (its root).
    func target(_ index: Int) -> URL { directory.appendingPathComponent("t\(index + 1)") }

    /// How many servers HAProxy reports UP.
    func upServers() async throws -> Int {
        try await states().values.filter { $0.hasPrefix("UP") }.count
    }

    /// Each server's status as `show stat` reports it (UP, MAINT, DRAIN, DOWN…).
    func states() async throws -> [String: String] {
        let reply = try await Self.runtimeAPI(socket, "show stat")
        var header: [String] = []
        var states: [String: String] = [:]
        for line in reply.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if line.hasPrefix("# ") {
                header = line.dropFirst(2).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            } else if fields.count > 1, fields[0] == "be", fields[1] != "BACKEND",
                let column = header.firstIndex(of: "status"), column < fields.count
            {
                states[fields[1]] = fields[column]
            }
        }
        return states
    }

    /// What a backend says it serves.
    func version(_ index: Int) async -> String? {
        guard let reply = try? await Self.get(port: backendPorts[index], path: "/_version") else { return nil }
        guard reply.status == 200 else { return nil }
        return reply.body.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops HAProxy, then the backends, and removes the directory.
    func stop() {
        if let haproxy {
            kill(haproxy, SIGTERM)
            var status: Int32 = 0
            for _ in 0..<300 where waitpid(haproxy, &status, WNOHANG) == 0 { usleep(10_000) }
            kill(haproxy, SIGKILL)
            waitpid(haproxy, &status, WNOHANG)
        }
        for index in backendPorts.indices {
            let file = target(index).appendingPathComponent("backend.pid")
            if let text = try? String(contentsOf: file, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                kill(pid, SIGKILL)
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Helpers

    static func freePort() throws -> UInt16 {
        let port = Ports.free()
        guard port > 0 else { throw FleetError("no free port") }
        return UInt16(port)
    }

    /// Runs a program in a directory and waits for it (posix_spawn and waitpid: no Foundation process
    /// machinery, which can miss a child whose own child daemonized).
    static func shell(_ argv: [String], in directory: URL) async throws -> Int32 {
        let pid = try spawn(["/bin/sh", "-c", "cd \"$0\" && exec \"$@\" >/dev/null 2>&1", directory.path] + argv)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Starts a program; returns its pid.
    static func spawn(_ argv: [String]) throws -> pid_t {
        do {
            return try spawnHelper(argv)
        } catch {
            throw FleetError("cannot start \(argv[0])")
        }
    }

    /// One exchange with a stream socket on a Dispatch thread: send, read to the end.
    static func exchange(_ connect: @escaping @Sendable (Int32) -> Int32, domain: Int32, send: String) async throws
        -> String
    {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let fd = Glibc.socket(domain, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(fd) }
                var timeout = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                guard connect(fd) == 0 else {
                    return continuation.resume(throwing: FleetError("connect: \(String(cString: strerror(errno)))"))
                }
                let bytes = Array(send.utf8)
                _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                shutdown(fd, Int32(SHUT_WR))
                var reply: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 16384)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count <= 0 { break }
                    reply += buffer[0..<count]
                }
                continuation.resume(returning: String(decoding: reply, as: UTF8.self))
            }
        }
    }

    static func runtimeAPI(_ path: String, _ command: String) async throws -> String {
        try await exchange(
            { fd in
                var address = sockaddr_un()
                address.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &address.sun_path) { raw in
                    for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
                }
                return withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
            }, domain: AF_UNIX, send: command + "\n")
    }

    /// A GET with `Connection: close`: the status and the body.
    static func get(port: UInt16, path: String) async throws -> (status: Int, body: String) {
        let reply = try await exchange(
            { fd in
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                address.sin_port = port.bigEndian
                return withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }, domain: AF_INET, send: "GET \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        let statusLine = reply.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let parts = statusLine.split(separator: " ")
        let status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let body = reply.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }
}

/// Requests through the load balancer from several loops at once until stopped, counting what failed.
final class LoadGenerator: Sendable {
    private let counts = Mutex<(ok: Int, failed: Int, failures: [String])>((0, 0, []))
    private let running = Atomic<Bool>(true)
    private let group = DispatchGroup()

    /// Starts `loops` loops against the port.
    init(port: UInt16, loops: Int = 8) {
        for _ in 0..<loops {
            group.enter()
            Task.detached { [self] in
                while running.load(ordering: .relaxed) {
                    do {
                        let reply = try await RollingFleet.get(port: port, path: "/")
                        if reply.status == 200 {
                            counts.withLock { $0.ok += 1 }
                        } else {
                            counts.withLock {
                                $0.failed += 1
                                if $0.failures.count < 5 { $0.failures.append("HTTP \(reply.status)") }
                            }
                        }
                    } catch {
                        counts.withLock {
                            $0.failed += 1
                            if $0.failures.count < 5 { $0.failures.append("\(error)") }
                        }
                    }
                }
                group.leave()
            }
        }
    }

    /// Stops the loops and returns how many requests succeeded and failed (with the first failures).
    func stop() async -> (ok: Int, failed: Int, failures: [String]) {
        running.store(false, ordering: .relaxed)
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.group.wait()
                continuation.resume()
            }
        }
        return counts.withLock { $0 }
    }
}

struct FleetError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
