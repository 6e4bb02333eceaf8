import Foundation
import LanderModel
import LanderTransport

/// Real sshd targets on 127.0.0.1, started by `Scripts/sshd-targets` with ports chosen at run time.
final class SSHTargets: @unchecked Sendable {
    let directory: URL
    /// name → (port, root)
    let targets: [(name: String, port: Int, root: String)]

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Starts `count` targets named t1…tN.
    static func start(_ count: Int) async throws -> SSHTargets {
        let directory = URL(fileURLWithPath: "/tmp/lander-sshd-\(UUID().uuidString.prefix(8))")
        let status = await run([
            repository.appendingPathComponent("Scripts/sshd-targets").path, "start", directory.path, String(count),
        ])
        guard status == 0 else { throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: directory.path]) }
        let lines = try String(contentsOf: directory.appendingPathComponent("targets"), encoding: .utf8)
        let targets = lines.split(separator: "\n").map { line in
            let parts = line.split(separator: " ").map(String.init)
            return (name: parts[0], port: Int(parts[1]) ?? 0, root: parts[2])
        }
        return SSHTargets(directory: directory, targets: targets)
    }

    private init(directory: URL, targets: [(name: String, port: Int, root: String)]) {
        self.directory = directory
        self.targets = targets
    }

    deinit { stop() }

    /// The ssh config file naming the targets.
    var config: String { directory.appendingPathComponent("ssh_config").path }

    /// How Lander reaches a target.
    func endpoint(_ name: String, hostKeyChecking: String = "yes", options: [String: String] = [:]) -> SSHEndpoint {
        SSHEndpoint(destination: name, configFile: config, options: options, hostKeyChecking: hostKeyChecking)
    }

    /// A connection to a target, rooted at its own directory.
    func connection(
        _ name: String, root: String? = nil, hostKeyChecking: String = "yes", options: [String: String] = [:]
    ) -> SSHConnection {
        let target = targets.first { $0.name == name }
        return SSHConnection(
            target: name, endpoint: endpoint(name, hostKeyChecking: hostKeyChecking, options: options),
            root: root ?? target?.root ?? "/tmp",
            localEnvironment: ProcessInfo.processInfo.environment,
            controlPath: "/tmp/lander-test-\(UUID().uuidString.prefix(8))", stopGrace: .milliseconds(500))
    }

    /// How many TCP connections a target's sshd accepted.
    func connectionsAccepted(_ name: String) -> Int {
        let log = (try? String(contentsOf: directory.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
        return log.components(separatedBy: "Accepted publickey").count - 1
    }

    /// The pid of a target's listening sshd.
    func listenerPID(_ name: String) -> Int32? {
        (try? String(contentsOf: directory.appendingPathComponent("\(name).pid"), encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Every sshd process serving a target: the listener and its connection handlers.
    func sshdProcesses(_ name: String) -> [Int32] {
        guard let listener = listenerPID(name) else { return [] }
        var result = [listener]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var frontier = [listener]
        while let parent = frontier.popLast() {
            for entry in entries {
                guard let pid = Int32(entry),
                    let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                    let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 2,
                    Int32(fields[1]) == parent
                else { continue }
                let command = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
                if command.hasPrefix("sshd") {
                    result.append(pid)
                    frontier.append(pid)
                }
            }
        }
        return result
    }

    /// Stops every sshd.
    func stop() {
        for target in targets {
            if let pid = listenerPID(target.name) { kill(pid, SIGTERM) }
        }
    }

    /// Runs a program to its end off the cooperative pool; returns its exit status.
    static func run(_ argv: [String]) async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: argv[0])
                process.arguments = Array(argv.dropFirst())
                process.standardOutput = FileHandle.nullDevice
                do {
                    try process.run()
                    process.waitUntilExit()
                    continuation.resume(returning: process.terminationStatus)
                } catch {
                    continuation.resume(returning: -1)
                }
            }
        }
    }
}

/// A port on 127.0.0.1 bound here and never listened on: connections to it are refused, and no other
/// process can take it while this holds it.
final class HeldPort {
    let port: Int
    private let fd: Int32
    private var held = true

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw CocoaError(.fileWriteUnknown)
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Lets the port go (for a program about to listen on it).
    func release() {
        if held { close(fd) }
        held = false
    }

    deinit { release() }
}
