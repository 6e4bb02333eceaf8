import Foundation
import Synchronization

extension SSHConnection {
    public func run(_ command: Command, options: RunOptions) async throws(TransportError) -> CommandResult {
        guard !command.argv.isEmpty else {
            throw TransportError(target: target, message: "empty command; give the program and its arguments")
        }
        try await connect()
        if let runner = await runner() {
            return try await run(command, options: options, on: runner)
        }
        let (process, remote) = try await start(command, onLine: options.onLine)
        let timer = options.timeout.map { timeout in
            Task {
                try await Task.sleep(for: timeout)
                stop(process, remote: remote, .timeout)
            }
        }
        var result = await withTaskCancellationHandler {
            await process.wait()
        } onCancel: {
            stop(process, remote: remote, .cancelled)
        }
        timer?.cancel()
        result.stderr = Self.withoutPIDLine(result.stderr)
        if result.stoppedBy == nil, result.exitCode == 255, await connectionFailed(result, started: remote.pid != nil) {
            let lost = result.stderr.contains("mux_client") || !isConnected
            throw TransportError(
                target: target,
                message: lost
                    ? "the connection to \(endpoint.destination) was lost while `\(command)` ran (keepalives or the "
                        + "network noticed; its next command reconnects)"
                    : Self.explain(result.stderr, endpoint: endpoint))
        }
        return result
    }

    public func spawn(_ command: Command) async throws(TransportError) -> any BackgroundCommand {
        let (process, remote) = try await start(command, onLine: nil)
        // Wait for the remote process id, so closing can reach the remote tree.
        for _ in 0..<1000 where remote.pid == nil && process.isRunning {
            try? await Task.sleep(for: .milliseconds(2))
        }
        return SSHBackgroundCommand(connection: self, process: process, remote: remote)
    }

    public func upload(_ localPath: String, to path: String) async throws(TransportError) {
        let remote = absolute(path)
        _ = try await checked(Command(["mkdir", "-p", (remote as NSString).deletingLastPathComponent]))
        try await scp([localPath, "\(endpoint.destination):\(remote)"])
    }

    /// With a basis on the target: copies it to `path` there, then rsync sends only the differing blocks
    /// over the master connection (`--inplace --no-whole-file`); without one, or when rsync fails, scp.
    public func send(_ localPath: String, to path: String, basis: String?) async throws(TransportError) -> Int {
        let remote = absolute(path)
        guard let basis else {
            try await upload(localPath, to: path)
            return Self.size(of: localPath)
        }
        let prepared = try await run(
            Command([
                "sh", "-c", #"mkdir -p "$(dirname "$2")" && cp "$1" "$2" && command -v rsync"#, "sh",
                absolute(basis), remote,
            ]), options: RunOptions())
        if prepared.succeeded, let sent = try? await rsync(localPath, remote) { return sent }
        try await upload(localPath, to: path)
        return Self.size(of: localPath)
    }

    /// rsync over the master; the bytes it sent (its `--stats`). `--ignore-times`: the basis is another
    /// version, whatever its size and time say (the two can match to the second).
    private func rsync(_ localPath: String, _ remote: String) async throws(TransportError) -> Int {
        try await connect()
        let shell = (["ssh"] + options()).map(Command.quoted).joined(separator: " ")
        let argv = [
            "rsync", "--inplace", "--no-whole-file", "--ignore-times", "--stats", "-t", "-e", shell, localPath,
            "\(endpoint.destination):\(remote)",
        ]
        let result = try await runHere(argv)
        guard result.succeeded else {
            throw TransportError(target: target, message: "rsync to \(remote) failed: \(result.stderr)")
        }
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("Total bytes sent:") } ?? ""
        let digits = line.dropFirst("Total bytes sent:".count).filter(\.isNumber)
        return Int(digits) ?? Self.size(of: localPath)
    }

    public func download(_ path: String, to localPath: String) async throws(TransportError) {
        try? FileManager.default.createDirectory(
            atPath: (localPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try await scp(["\(endpoint.destination):\(absolute(path))", localPath])
    }

    // MARK: Runners

    /// An idle runner session, or a new one; nil when none could start (commands then run as sessions of their own).
    private func runner() async -> SSHRunner? {
        while let idle = idleRunners.withLock({ $0.popLast() }) {
            if idle.isUsable { return idle }
            idle.shutdown()
        }
        return await SSHRunner.start(on: self)
    }

    private func run(_ command: Command, options: RunOptions, on runner: SSHRunner) async throws(TransportError)
        -> CommandResult
    {
        let script = RemoteScript.body(
            argv: command.argv, environment: command.environment, root: root, ownGroup: runner.groupsCommands)
        let stopped = Mutex<StopReason?>(nil)
        let stop: @Sendable (StopReason) -> Void = { reason in
            guard
                stopped.withLock({ current in
                    if current != nil { return false }
                    current = reason
                    return true
                })
            else { return }
            Task { await self.stopCommand(on: runner) }
        }
        let started = ContinuousClock.now
        let timer = options.timeout.map { timeout in
            Task {
                try await Task.sleep(for: timeout)
                stop(.timeout)
            }
        }
        let result = await withTaskCancellationHandler {
            await runner.execute(script, onLine: options.onLine)
        } onCancel: {
            stop(.cancelled)
        }
        timer?.cancel()
        let reason = stopped.withLock { $0 }
        if var result {
            if runner.isUsable { idleRunners.withLock { $0.append(runner) } }
            result.stoppedBy = reason
            return result
        }
        if let reason {
            return CommandResult(
                exitCode: 128 + SIGTERM, signal: SIGTERM, duration: ContinuousClock.now - started, stoppedBy: reason)
        }
        runner.shutdown()
        throw TransportError(
            target: target,
            message: "the connection to \(endpoint.destination) was lost while `\(command)` ran (keepalives or the "
                + "network noticed; its next command reconnects)")
    }

    /// Stops what a runner is running: the command's own process group when it has one (the runner
    /// lives on), else the runner's whole group, and the runner goes.
    private func stopCommand(on runner: SSHRunner) async {
        if runner.groupsCommands {
            await killRemote(childrenOf: runner.remotePID)
        } else {
            await killRemote(runner.remotePID)
            runner.shutdown()
        }
    }

    // MARK: Pieces

    /// Whether an exit code of 255 was ssh's own (the connection failed) rather than the command's.
    private func connectionFailed(_ result: CommandResult, started: Bool) async -> Bool {
        if !started { return true }
        let clientMessages = ["mux_client", "closed by remote host", "Connection to ", "client_loop:", "Broken pipe"]
        if clientMessages.contains(where: result.stderr.contains) { return true }
        // The master notices a dead peer a moment after its clients do.
        for _ in 0..<50 where isConnected { try? await Task.sleep(for: .milliseconds(10)) }
        return !isConnected
    }

    /// Starts one command over the master; its first stderr line (the remote process id) is taken off.
    private func start(_ command: Command, onLine: (@Sendable (String, Bool) -> Void)?) async throws(TransportError)
        -> (WatchedProcess, RemoteProcess)
    {
        try await connect()
        let script = RemoteScript(argv: command.argv, environment: command.environment, root: root)
        let remote = RemoteProcess()
        let process = try ProcessLauncher.start(
            sshCommand(script.line), environment: localEnvironment, directory: nil, input: script.input,
            target: target,
            onLine: { line, isError in
                if isError, remote.takeFirstLine(line) { return }
                onLine?(line, isError)
            })
        return (process, remote)
    }

    /// Stops a command: its remote process group first (TERM, KILL if it lingers), then the local ssh.
    func stop(_ process: WatchedProcess, remote: RemoteProcess, _ reason: StopReason) {
        process.mark(reason)
        let grace = stopGrace
        Task {
            if let pid = remote.pid { await killRemote(pid) }
            process.stop(reason, grace: grace)
        }
    }

    /// Sends SIGTERM to a remote process group, then SIGKILL if it is still there after the grace period.
    func killRemote(_ pid: Int32) async {
        await killRemote(selecting: "p=\(pid)")
    }

    /// Like `killRemote(_:)` for the children of a remote process (found in /proc) and their groups.
    func killRemote(childrenOf parent: Int32) async {
        // Field 4 of /proc/PID/stat is the parent; the name before it is in parentheses and may hold spaces.
        await killRemote(
            selecting: #"p=; for f in /proc/[0-9]*/stat; do read -r l <"$f" 2>/dev/null || continue; "#
                + #"l=${l##*") "}; set -- $l; [ "$2" = \#(parent) ] && { f=${f%/stat}; p="$p ${f#/proc/}"; }; done"#)
    }

    /// Signals each pid in `$p` (set by `selection`) as a group, or alone when it leads none: SIGTERM, then
    /// SIGKILL to whatever is left after the grace period.
    private func killRemote(selecting selection: String) async {
        let tenths = max(
            1, Int(stopGrace.components.seconds * 10 + stopGrace.components.attoseconds / 100_000_000_000_000_000))
        let line =
            selection + "; s() { for c in $p; do kill -$1 -- -$c 2>/dev/null || kill -$1 $c 2>/dev/null; done; }; "
            + "a() { for c in $p; do { kill -0 -- -$c || kill -0 $c; } 2>/dev/null && return 0; done; return 1; }; "
            + "s TERM; i=0; while a && [ $i -lt \(tenths) ]; do sleep 0.1; i=$((i+1)); done; s KILL; true"
        guard
            let process = try? ProcessLauncher.start(
                sshCommand(line), environment: localEnvironment, directory: nil, target: target, onLine: nil)
        else { return }
        _ = await process.wait()
    }

    func checked(_ command: Command) async throws(TransportError) -> CommandResult {
        let result = try await run(command, options: RunOptions())
        guard result.succeeded else {
            throw TransportError(target: target, message: "`\(command)` exited \(result.exitCode): \(result.stderr)")
        }
        return result
    }

    private func scp(_ paths: [String]) async throws(TransportError) {
        try await connect()
        let result = try await runHere(["scp", "-q", "-p", "-r"] + options(forScp: true) + paths)
        guard result.succeeded else {
            throw TransportError(
                target: target, message: "copying \(paths.joined(separator: " → ")) failed: \(result.stderr)")
        }
    }

    /// The exact commands that fix this target's host key, for the known_hosts file and the `[host]:port`
    /// entry ssh uses for it (as `ssh -G` resolves them through the user's config): `remove` drops a changed
    /// key, `add` records the current one.
    func hostKeyCommands() async -> (remove: String, add: String)? {
        guard let result = try? await runHere(["ssh", "-G"] + options(master: true) + [endpoint.destination]),
            result.succeeded
        else { return nil }
        var settings: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2, settings[parts[0]] == nil { settings[parts[0]] = parts[1] }
        }
        guard let host = settings["hostname"] else { return nil }
        let file =
            (settings["userknownhostsfile"] ?? "").split(separator: " ").first.map(String.init)
            ?? "~/.ssh/known_hosts"
        let port = settings["port"] ?? "22"
        let entry = port == "22" ? host : "[\(host)]:\(port)"
        return (
            "ssh-keygen -f \"\(file)\" -R \"\(entry)\"",
            "ssh-keyscan \(port == "22" ? "" : "-p \(port) ")\(host) >> \"\(file)\""
        )
    }

    /// Runs a program on this machine (scp, rsync) to its end; cancellation stops it.
    func runHere(_ argv: [String]) async throws(TransportError) -> CommandResult {
        let process = try ProcessLauncher.start(
            argv, environment: localEnvironment, directory: nil, target: target, onLine: nil)
        return await withTaskCancellationHandler {
            await process.wait()
        } onCancel: {
            process.stop(.cancelled, grace: stopGrace)
        }
    }

    private func absolute(_ path: String) -> String {
        if path.hasPrefix("/") || path.hasPrefix("~") { return path }
        return root + "/" + path
    }

    static func withoutPIDLine(_ stderr: String) -> String {
        guard let newline = stderr.firstIndex(of: "\n"), Int32(stderr[..<newline]) != nil else { return stderr }
        return String(stderr[stderr.index(after: newline)...])
    }
}

/// The remote process of one command: its id (and process group), read from its first stderr line.
final class RemoteProcess: Sendable {
    private let state = Mutex<(pid: Int32?, seenFirst: Bool)>((nil, false))

    var pid: Int32? { state.withLock { $0.pid } }

    /// True for the first stderr line (the id), which is not the command's output.
    func takeFirstLine(_ line: String) -> Bool {
        state.withLock { state in
            guard !state.seenFirst else { return false }
            state.seenFirst = true
            state.pid = Int32(line)
            return state.pid != nil
        }
    }
}

/// A session process on an SSH target.
struct SSHBackgroundCommand: BackgroundCommand {
    let connection: SSHConnection
    let process: WatchedProcess
    let remote: RemoteProcess

    var pid: Int32 { remote.pid ?? process.pid }
    var isRunning: Bool { process.isRunning }

    func close(grace: Duration) async -> CommandResult {
        process.mark(.closed)
        if let pid = remote.pid { await connection.killRemote(pid) }
        process.stop(.closed, grace: grace)
        var result = await process.wait()
        result.stderr = SSHConnection.withoutPIDLine(result.stderr)
        return result
    }
}
