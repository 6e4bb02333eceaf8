import CLanderProcess
import Foundation

/// Runs commands as processes on this machine, in the target's root directory, each in a process
/// group of its own so a timeout or a cancellation stops everything the command started.
public struct LocalTransport: TargetConnection, HomeReachable {
    /// The target's name.
    public let target: String
    /// The absolute directory commands run in (created when missing).
    public let root: String
    /// The environment every command starts with, before its own variables.
    public let environment: [String: String]
    /// How long a stopped command has between SIGTERM and SIGKILL.
    public var stopGrace: Duration = .seconds(3)
    /// The most output kept per stream of one command.
    public static let outputLimit = 1 << 20

    /// Creates a local target rooted at `root` with a base environment (typically Lander's own).
    public init(target: String, root: String, environment: [String: String]) {
        self.target = target
        self.root = root
        self.environment = environment
    }

    public func run(_ command: Command, options: RunOptions) async throws(TransportError) -> CommandResult {
        let process = try start(command, onLine: options.onLine)
        let grace = stopGrace
        let timer = options.timeout.map { timeout in
            Task {
                try await Task.sleep(for: timeout)
                process.stop(.timeout, grace: grace)
            }
        }
        let result = await withTaskCancellationHandler {
            await process.wait()
        } onCancel: {
            process.stop(.cancelled, grace: grace)
        }
        timer?.cancel()
        return result
    }

    public func spawn(_ command: Command) async throws(TransportError) -> any BackgroundCommand {
        LocalBackgroundCommand(process: try start(command, onLine: nil))
    }

    public func upload(_ localPath: String, to path: String) async throws(TransportError) {
        try prepareRoot()
        try await copy(localPath, to: path.hasPrefix("/") ? path : root + "/" + path)
    }

    public func download(_ path: String, to localPath: String) async throws(TransportError) {
        try await copy(path.hasPrefix("/") ? path : root + "/" + path, to: localPath)
    }

    public func close() async {}

    /// Local targets reach the endpoint directly on 127.0.0.1; the client goes to `.lander/bin` under the root.
    public func reachHome(_ request: HomeRequest) async throws(TransportError) -> HomeAddress {
        try prepareRoot()
        let path = root + "/" + HomeRequest.clientPath
        let bin = (path as NSString).deletingLastPathComponent
        let data = Data(request.client.utf8)
        if FileManager.default.contents(atPath: path) != data { try await place(data, at: path) }
        return HomeAddress(url: "http://127.0.0.1:\(request.port)", bin: bin)
    }

    /// Puts the client in place by a child process (`cp` to a new name, then `mv`): a file this process had
    /// open for writing could be in a concurrently spawned child for the instant before that child closes
    /// what it inherited, and running the file then fails with ETXTBSY ("Text file busy"). The source copy
    /// written here is never run.
    private func place(_ data: Data, at path: String) async throws(TransportError) {
        let bin = (path as NSString).deletingLastPathComponent
        let source = bin + "/.lander-call.\(UUID().uuidString)"
        do {
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: source))
        } catch {
            throw TransportError(target: target, message: "cannot put the call client at \(path): \(error)")
        }
        let script = #"cp "$1" "$2.$$" && chmod 755 "$2.$$" && mv -f "$2.$$" "$2"; s=$?; rm -f "$1"; exit $s"#
        let result = try await run(Command(["sh", "-c", script, "place-client", source, path]), options: RunOptions())
        guard result.succeeded else {
            throw TransportError(target: target, message: "cannot put the call client at \(path): \(result.stderr)")
        }
    }

    /// `cp -a` (modes, times and links kept) into a parent directory that is created when missing.
    private func copy(_ source: String, to destination: String) async throws(TransportError) {
        let parent = (destination as NSString).deletingLastPathComponent
        let result = try await run(
            Command(["sh", "-c", "mkdir -p \"$1\" && cp -a \"$2\" \"$3\"", "copy", parent, source, destination]),
            options: RunOptions())
        guard result.succeeded else {
            throw TransportError(target: target, message: "cannot copy \(source) to \(destination): \(result.stderr)")
        }
    }

    private func start(_ command: Command, onLine: (@Sendable (String, Bool) -> Void)?) throws(TransportError)
        -> WatchedProcess
    {
        guard !command.argv.isEmpty, !command.argv[0].isEmpty else {
            throw TransportError(target: target, message: "empty command; give the program and its arguments")
        }
        try prepareRoot()
        var merged = environment.merging(command.environment) { _, new in new }
        // Lander's own tools on the target (the call client) come first on PATH.
        if let bin = command.environment[Command.binVariable], !bin.isEmpty {
            merged["PATH"] = bin + ":" + (merged["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        }
        return try ProcessLauncher.start(
            command.argv, environment: merged, directory: root, target: target, onLine: onLine)
    }

    private func prepareRoot() throws(TransportError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw TransportError(
                    target: target,
                    message: "the root of target '\(target)', \(root), is a file, not a directory; point root: in "
                        + "lander.yml at a directory (or move the file away)")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw TransportError(
                target: target, message: "cannot create the root of target '\(target)', \(root): \(Self.whyNot(root))")
        }
    }

    /// Why a directory cannot be made at a path, from its nearest existing ancestor, with what to do.
    static func whyNot(_ path: String) -> String {
        var ancestor = URL(fileURLWithPath: path).deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        while ancestor.path != "/", !FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDirectory) {
            ancestor = ancestor.deletingLastPathComponent()
        }
        _ = FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDirectory)
        if !isDirectory.boolValue {
            return "\(ancestor.path) is a file, not a directory; point root: in lander.yml somewhere else"
        }
        if access(ancestor.path, W_OK) != 0 {
            let user = ProcessInfo.processInfo.environment["USER"] ?? "uid \(getuid())"
            return "\(ancestor.path) is not writable by \(user); make the root directory yourself "
                + "(mkdir -p \(path)) with the right owner, or point root: in lander.yml somewhere writable"
        }
        return "\(ancestor.path) takes no new directories; point root: in "
            + "lander.yml somewhere else"
    }
}

/// A session process started by the local transport.
struct LocalBackgroundCommand: BackgroundCommand {
    let process: WatchedProcess

    var pid: Int32 { process.pid }
    var isRunning: Bool { process.isRunning }

    func close(grace: Duration) async -> CommandResult {
        process.stop(.closed, grace: grace)
        return await process.wait()
    }
}
