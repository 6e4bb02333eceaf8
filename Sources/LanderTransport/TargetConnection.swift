import Glibc

/// Runs commands on one target: the engine's only way to reach a machine.
public protocol TargetConnection: Sendable {
    /// The target's name.
    var target: String { get }
    /// Runs a command to its end (or its timeout, or the caller's cancellation, which stop its process group).
    func run(_ command: Command, options: RunOptions) async throws(TransportError) -> CommandResult
    /// Starts a command that keeps running (a session's process) until it is closed.
    func spawn(_ command: Command) async throws(TransportError) -> any BackgroundCommand
    /// Copies a local file or directory to the target (a relative path is under the target's root), modes kept.
    func upload(_ localPath: String, to path: String) async throws(TransportError)
    /// Copies a file or directory from the target (a relative path is under the target's root), modes kept.
    func download(_ path: String, to localPath: String) async throws(TransportError)
    /// Puts a local file on the target at `path`; with `basis` (a file already on the target, e.g. the
    /// previous version) only what differs from it needs to travel. Returns the bytes sent.
    func send(_ localPath: String, to path: String, basis: String?) async throws(TransportError) -> Int
    /// Releases what the connection holds (an SSH master); called once when the deployment ends.
    func close() async
}

/// A command left running on a target, e.g. a tunnel a session holds open from one step to a later one.
public protocol BackgroundCommand: Sendable {
    /// Its process id on the target.
    var pid: Int32 { get }
    /// Whether it is still running.
    var isRunning: Bool { get }
    /// Stops it (its whole process group: SIGTERM, then SIGKILL after `grace`) and returns how it ended.
    func close(grace: Duration) async -> CommandResult
}

extension TargetConnection {
    /// Sends the whole file (transports without a delta transfer); the file's size.
    public func send(_ localPath: String, to path: String, basis: String?) async throws(TransportError) -> Int {
        try await upload(localPath, to: path)
        return Self.size(of: localPath)
    }

    /// A local file's size in bytes (0 when unreadable).
    static func size(of path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }
}
