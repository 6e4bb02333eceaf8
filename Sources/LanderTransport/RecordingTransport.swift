import Synchronization

/// A transport that runs nothing: it records every command, upload and download it is asked for and
/// answers with a scripted result (exit 0 and no output unless `answer` says otherwise). A dry run and
/// the engine's own tests use it; commands being data is what makes this possible.
public final class RecordingTransport: TargetConnection {
    /// What was asked of the target, in order.
    public enum Request: Sendable, Hashable {
        case run(Command)
        case spawn(Command)
        case upload(local: String, to: String)
        case download(String, to: String)
    }

    public let target: String
    private let answer: @Sendable (Command) -> CommandResult
    private let requests = Mutex<[Request]>([])

    /// A recording connection to `target`; `answer` decides what each command "printed" and how it exited.
    public init(
        target: String, answer: @escaping @Sendable (Command) -> CommandResult = { _ in CommandResult(exitCode: 0) }
    ) {
        self.target = target
        self.answer = answer
    }

    /// Everything asked of the target so far, in order.
    public var recorded: [Request] { requests.withLock { $0 } }

    /// The argv of every command run, in order.
    public var commands: [[String]] {
        recorded.compactMap { if case .run(let command) = $0 { command.argv } else { nil } }
    }

    public func run(_ command: Command, options: RunOptions) async throws(TransportError) -> CommandResult {
        requests.withLock { $0.append(.run(command)) }
        let result = answer(command)
        for line in result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        where !result.stdout.isEmpty {
            options.onLine?(String(line), false)
        }
        return result
    }

    public func spawn(_ command: Command) async throws(TransportError) -> any BackgroundCommand {
        let count = requests.withLock { requests in
            requests.append(.spawn(command))
            return requests.count
        }
        return RecordedSession(pid: Int32(100_000 + count))
    }

    public func upload(_ localPath: String, to path: String) async throws(TransportError) {
        requests.withLock { $0.append(.upload(local: localPath, to: path)) }
    }

    public func download(_ path: String, to localPath: String) async throws(TransportError) {
        requests.withLock { $0.append(.download(path, to: localPath)) }
    }

    public func close() async {}
}

/// A session a recording transport pretends to hold open.
private final class RecordedSession: BackgroundCommand {
    let pid: Int32
    private let open = Mutex(true)

    init(pid: Int32) { self.pid = pid }

    var isRunning: Bool { open.withLock { $0 } }

    func close(grace: Duration) async -> CommandResult {
        open.withLock { $0 = false }
        return CommandResult(exitCode: 0)
    }
}
