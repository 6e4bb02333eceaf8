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
