/// Runs commands on one target: the engine's only way to reach a machine.
public protocol TargetConnection: Sendable {
    /// The target's name.
    var target: String { get }
    /// Runs a command to its end (or its timeout, or the caller's cancellation, which stop its process group).
    func run(_ command: Command, options: RunOptions) async throws(TransportError) -> CommandResult
    /// Starts a command that keeps running (a session's process) until it is closed.
    func spawn(_ command: Command) async throws(TransportError) -> any BackgroundCommand
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
