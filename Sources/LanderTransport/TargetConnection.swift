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

/// Where a target's commands reach Lander's callback endpoint, and the directory holding the call client.
public struct HomeAddress: Sendable, Hashable {
    /// `http://127.0.0.1:PORT` (local targets), or `unix:/PATH` (a socket forwarded over SSH).
    public var url: String
    /// The directory on the target holding `lander-call` (put on PATH for the commands).
    public var bin: String

    /// Creates an address.
    public init(url: String, bin: String) {
        self.url = url
        self.bin = bin
    }
}

/// What a transport needs to reach home: the endpoint's loopback port here and the client to install.
public struct HomeRequest: Sendable, Hashable {
    /// The endpoint's port on 127.0.0.1 of this machine.
    public var port: Int
    /// The client program's text (`lander-call`).
    public var client: String

    /// Creates a request.
    public init(port: Int, client: String) {
        self.port = port
        self.client = client
    }

    /// The client's path under a target's root.
    public static let clientPath = ".lander/bin/lander-call"
}

/// Transports that can make the callback endpoint reachable from their targets (phone home).
public protocol HomeReachable: Sendable {
    /// Makes the endpoint reachable from the target and puts the client there, once; later calls return
    /// the same address.
    func reachHome(_ request: HomeRequest) async throws(TransportError) -> HomeAddress
}
