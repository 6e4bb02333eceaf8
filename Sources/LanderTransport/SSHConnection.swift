import Foundation
public import LanderModel
import Synchronization

/// A target reached with the system OpenSSH client: one multiplexed master connection, opened on
/// first use and held until `close()`, carries every command, upload and download.
///
/// The user's ssh config, agent, keys, `ProxyJump` and known_hosts apply as for `ssh`. Host keys are
/// checked (`StrictHostKeyChecking=yes` unless the target says `accept-new`), and keepalives notice a
/// connection that goes silent within about 15 seconds.
public final class SSHConnection: TargetConnection, Sendable {
    public let target: String
    /// How ssh reaches the target.
    public let endpoint: SSHEndpoint
    /// The directory commands run in on the remote machine.
    public let root: String
    /// The environment of the local `ssh` processes (SSH_AUTH_SOCK, HOME…).
    let localEnvironment: [String: String]
    /// The master's control socket.
    let controlPath: String
    /// How long a stopped command has between SIGTERM and SIGKILL.
    let stopGrace: Duration

    private enum Master {
        case idle
        case opening(Task<Result<WatchedProcess, TransportError>, Never>)
        case open(WatchedProcess)
        case closed
    }
    private let master = Mutex(Master.idle)
    /// Runner sessions waiting for their next command.
    let idleRunners = Mutex<[SSHRunner]>([])
    /// The master's own session (kept so its stdin stays open while it runs commands or idles).
    private let primaryRunner = Mutex<SSHRunner?>(nil)
    /// The way home (phone home), set up once on first use.
    let home = Mutex<Task<Result<HomeAddress, TransportError>, Never>?>(nil)
    /// The socket on the target forwarded to the callback endpoint, removed at the end.
    let forwardedSocket = Mutex<String?>(nil)

    /// Creates a connection (nothing is opened until the first command).
    public init(
        target: String, endpoint: SSHEndpoint, root: String, localEnvironment: [String: String], controlPath: String,
        stopGrace: Duration = .seconds(3)
    ) {
        self.target = target
        self.endpoint = endpoint
        self.root = root
        self.localEnvironment = localEnvironment
        self.controlPath = controlPath
        self.stopGrace = stopGrace
    }

    // MARK: Arguments

    /// Options of the ssh and scp processes of this target (`-o` pairs and the endpoint's flags).
    ///
    /// Everything but the master is a multiplexing client: `ProxyCommand=false` stops one from falling
    /// back to a connection of its own when the master is gone, so a lost connection fails at once.
    func options(forScp: Bool = false, master: Bool = false) -> [String] {
        var arguments: [String] = []
        if let config = endpoint.configFile { arguments += ["-F", config] }
        if let identity = endpoint.identity { arguments += ["-i", identity] }
        if master, let jump = endpoint.jump { arguments += ["-J", jump] }
        if !master { arguments += ["-o", "ControlMaster=no", "-o", "ProxyCommand=false"] }
        if let port = endpoint.port { arguments += [forScp ? "-P" : "-p", String(port)] }
        if let user = endpoint.user { arguments += ["-o", "User=\(user)"] }
        var settings = [
            "BatchMode": "yes", "StrictHostKeyChecking": endpoint.hostKeyChecking, "ControlPath": controlPath,
            "ServerAliveInterval": "5", "ServerAliveCountMax": "3", "ConnectTimeout": "10",
            // Curve25519 first: the default post-quantum exchange costs ~70 ms of CPU per connection.
            "KexAlgorithms": "^curve25519-sha256",
        ]
        settings.merge(endpoint.options) { _, user in user }
        for key in settings.keys.sorted() { arguments += ["-o", "\(key)=\(settings[key] ?? "")"] }
        return arguments
    }

    /// `ssh` for one command over the master.
    func sshCommand(_ line: String) -> [String] {
        ["ssh"] + options() + ["-T", endpoint.destination, "--", line]
    }

    // MARK: The master

    /// Opens the master connection once; later callers wait for the same attempt.
    func connect() async throws(TransportError) {
        let task: Task<Result<WatchedProcess, TransportError>, Never>? = master.withLock { state in
            switch state {
            case .open(let process) where process.isRunning: return Task { .success(process) }
            case .opening(let task): return task
            case .closed: return nil
            default:
                let task = Task { await self.openMaster() }
                state = .opening(task)
                return task
            }
        }
        guard let task else {
            throw TransportError(target: target, message: "the connection was closed when the deployment ended")
        }
        switch await task.value {
        case .success(let process):
            master.withLock { if case .opening = $0 { $0 = .open(process) } }
        case .failure(let error):
            master.withLock { if case .opening = $0 { $0 = .idle } }
            throw error
        }
    }

    /// Starts the master with a runner as its own session; it is up once the runner reports in (the
    /// control socket listens before any session starts).
    private func openMaster() async -> Result<WatchedProcess, TransportError> {
        try? FileManager.default.removeItem(atPath: controlPath)
        let argv =
            ["ssh"] + options(master: true) + [
                "-M", "-T", "-o", "ControlMaster=yes", "-o", "ControlPersist=no", endpoint.destination, "--",
                SSHRunner.program,
            ]
        switch await SSHRunner.launch(argv, on: self, primary: true, patience: .seconds(60)) {
        case .ready(let runner):
            // A runner that cannot stop its commands alone would take the master with it: it stays idle.
            if runner.groupsCommands { idleRunners.withLock { $0.append(runner) } }
            if !FileManager.default.fileExists(atPath: controlPath) {
                runner.shutdown()
                return .failure(
                    TransportError(target: target, message: "ssh to \(endpoint.destination) gave no control socket"))
            }
            primaryRunner.withLock { $0 = runner }
            return .success(runner.process)
        case .failed(let process):
            let stderr = await process?.wait().stderr ?? ""
            let fixes =
                stderr.contains("host key") || stderr.contains("HOST IDENTIFICATION") ? await hostKeyCommands() : nil
            return .failure(
                TransportError(target: target, message: Self.explain(stderr, endpoint: endpoint, hostKeys: fixes)))
        }
    }

    /// Closes the master (and with it anything still riding it).
    public func close() async {
        if isConnected { await removeHomeSocket() }
        for runner in idleRunners.withLock({ runners in
            defer { runners = [] }
            return runners
        }) where !runner.isPrimary { runner.shutdown() }
        primaryRunner.withLock { $0 = nil }
        let process = master.withLock { state -> WatchedProcess? in
            defer { state = .closed }
            if case .open(let process) = state { return process }
            return nil
        }
        guard let process else { return }
        process.stop(.closed, grace: .seconds(2))
        _ = await process.wait()
        try? FileManager.default.removeItem(atPath: controlPath)
    }

    /// Whether the master connection is up.
    public var isConnected: Bool {
        master.withLock { if case .open(let process) = $0 { process.isRunning } else { false } }
    }

    /// The exact command that removes the recorded key: ssh's own suggestion when it printed one (it names
    /// the known_hosts file and the `[host]:port` entry in use), else one built from the offending file.
    static func removeKeyCommand(_ text: String, endpoint: SSHEndpoint) -> String {
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("ssh-keygen ") && trimmed.contains(" -R ") { return trimmed }
        }
        var file = "~/.ssh/known_hosts"
        for line in text.split(separator: "\n") where line.hasPrefix("Offending ") {
            if let range = line.range(of: " key in ") {
                let rest = line[range.upperBound...]
                file = String(rest[..<(rest.lastIndex(of: ":") ?? rest.endIndex)])
            }
        }
        let name = hostName(endpoint)
        let entry = endpoint.port.map { $0 == 22 ? name : "[\(name)]:\($0)" } ?? name
        return "ssh-keygen -f \"\(file)\" -R \"\(entry)\""
    }

    /// The host part of the destination (without `user@`).
    private static func hostName(_ endpoint: SSHEndpoint) -> String {
        String(endpoint.destination.split(separator: "@").last ?? Substring(endpoint.destination))
    }

    /// Turns what ssh printed into a reason and what to do.
    static func explain(_ stderr: String, endpoint: SSHEndpoint, hostKeys: (remove: String, add: String)? = nil)
        -> String
    {
        let text = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        let host = endpoint.destination
        if text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
            return "the host key of \(host) has CHANGED since it was recorded in known_hosts; if the change is "
                + "expected, remove the old key (\(hostKeys?.remove ?? removeKeyCommand(text, endpoint: endpoint))) and add the new one "
                + "after checking it"
        }
        if text.contains("Host key verification failed") || text.contains("No ED25519 host key is known")
            || text.contains("host key is known")
        {
            let port = endpoint.port.map { "-p \($0) " } ?? ""
            let add = hostKeys?.add ?? "ssh-keyscan \(port)\(hostName(endpoint)) >> ~/.ssh/known_hosts"
            return "the host key of \(host) is not in known_hosts; check it and add it (\(add)), or set "
                + "host_key_checking: accept-new for this target"
        }
        if text.contains("Permission denied") {
            return "authentication to \(host) was refused (\(text.split(separator: "\n").last ?? "")); "
                + "check the user, identity and the agent"
        }
        if text.contains("Connection refused") || text.contains("timed out") || text.contains("No route to host")
            || text.contains("Could not resolve") || text.contains("Name or service not known")
        {
            return "\(host) is unreachable: \(text.split(separator: "\n").last ?? "")"
        }
        return "ssh to \(host) failed: " + (text.isEmpty ? "the connection closed" : text)
    }
}
