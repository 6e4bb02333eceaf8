import CLanderProcess
import Foundation

/// Runs commands as processes on this machine, in the target's root directory, each in a process
/// group of its own so a timeout or a cancellation stops everything the command started.
public struct LocalTransport: TargetConnection {
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

    private func start(_ command: Command, onLine: (@Sendable (String, Bool) -> Void)?) throws(TransportError)
        -> WatchedProcess
    {
        guard let program = command.argv.first, !program.isEmpty else {
            throw TransportError(target: target, message: "empty command; give the program and its arguments")
        }
        try prepareRoot()
        let variables = environment.merging(command.environment) { _, new in new }
        let env = variables.map { "\($0.key)=\($0.value)" }.sorted()
        var pid: pid_t = 0
        var out: Int32 = -1
        var err: Int32 = -1
        let status = withCStrings(command.argv) { argv in
            withCStrings(env) { envp in lander_spawn(argv, envp, root, &pid, &out, &err) }
        }
        guard status == 0 else {
            let reason = String(cString: strerror(status))
            let hint =
                status == ENOENT
                ? "no program '\(program)' on PATH or in \(root)" : "cannot start '\(program)': \(reason)"
            throw TransportError(target: target, message: hint)
        }
        let pidfd = lander_pidfd_open(pid)
        guard pidfd >= 0 else {
            kill(pid, SIGKILL)
            throw TransportError(
                target: target, message: "cannot watch process \(pid): pidfd_open failed (Linux ≥ 5.3)")
        }
        let process = WatchedProcess(
            target: target, pid: pid, pidfd: pidfd, outFD: out, errFD: err, outputLimit: Self.outputLimit,
            onLine: onLine)
        try ProcessMonitor.shared.watch(process)
        return process
    }

    private func prepareRoot() throws(TransportError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw TransportError(target: target, message: "root \(root) is a file, not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw TransportError(target: target, message: "cannot create root \(root): \(error.localizedDescription)")
        }
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

/// Calls `body` with a NULL-terminated C array of the strings, valid during the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
