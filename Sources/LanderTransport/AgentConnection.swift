import Foundation
import Synchronization

/// Reaches a target through the connection its agent holds to this server, exactly as SSH reaches one:
/// commands as argv with their environment in the message (never on a command line), output line by
/// line, timeouts and cancellation stopping the process group on the agent, sessions, and transfers
/// streamed beside commands. Each call takes the agent's current connection, so a reconnected agent
/// serves the next command; a call in flight when a connection drops fails as "connection lost".
public struct AgentConnection: TargetConnection {
    /// The target's name.
    public let target: String
    /// The agent serving it.
    public let agent: String
    /// The target's root on the agent's machine (relative: under the agent's work directory).
    public let root: String
    /// How long a stopped command has between SIGTERM and SIGKILL.
    public var stopGrace: Duration = .seconds(3)
    let link: @Sendable () async throws(TransportError) -> AgentLink
    let home = AgentHome()

    /// A connection that asks `link` for the agent's connection whenever it needs it.
    public init(
        target: String, agent: String, root: String,
        link: @escaping @Sendable () async throws(TransportError) -> AgentLink
    ) {
        self.target = target
        self.agent = agent
        self.root = root
        self.link = link
    }

    public func run(_ command: Command, options: RunOptions) async throws(TransportError) -> CommandResult {
        var message = request(.run, command)
        message.timeoutMs = options.timeout.map(Self.milliseconds)
        message.lines = options.onLine != nil
        return try await link().call(message, target: target, onLine: options.onLine).result
    }

    public func spawn(_ command: Command) async throws(TransportError) -> any BackgroundCommand {
        let link = try await link()
        let session = AgentSession()
        let message = request(.spawn, command)
        let answer = try await link.call(message, target: target, session: session)
        return AgentBackgroundCommand(
            link: link, id: answer.id ?? "", pid: answer.pid ?? 0, session: session, target: target)
    }

    public func upload(_ localPath: String, to path: String) async throws(TransportError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: localPath, isDirectory: &isDirectory) else {
            throw TransportError(target: target, message: "cannot upload \(localPath): no such file or directory")
        }
        var source = localPath
        var archive: String?
        if isDirectory.boolValue {
            let tar = NSTemporaryDirectory() + "lander-upload-\(UUID().uuidString).tar"
            try await local(["tar", "-C", localPath, "-cf", tar, "."], doing: "pack \(localPath)")
            source = tar
            archive = tar
        }
        defer { if let archive { unlink(archive) } }
        var message = AgentMessage(.put)
        message.root = root
        message.path = path
        message.directory = isDirectory.boolValue
        message.mode = Self.mode(of: localPath)
        message.size = Self.size(of: source)
        let id = AgentWire.newID()
        message.id = id
        let file = source
        _ = try await link().call(
            message, target: target,
            body: { outbox in
                var end = AgentMessage(.putEnd, id: id)
                end.text = await Self.stream(file, id: id, into: outbox)
                _ = await outbox.send(behindBulk: end)
            })
    }

    public func download(_ path: String, to localPath: String) async throws(TransportError) {
        let parent = (localPath as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(
            atPath: parent.isEmpty ? "." : parent, withIntermediateDirectories: true)
        let part = "\(parent.isEmpty ? "." : parent)/.lander-part-\(UUID().uuidString)"
        let sink = FileSink(path: part)
        defer { unlink(part) }
        var message = AgentMessage(.get)
        message.root = root
        message.path = path
        let answer: AgentMessage
        do {
            answer = try await link().call(message, target: target, sink: sink)
        } catch {
            _ = sink.finish()
            throw error
        }
        if let failure = sink.finish() { throw TransportError(target: target, message: failure) }
        if answer.directory == true {
            try? FileManager.default.createDirectory(atPath: localPath, withIntermediateDirectories: true)
            try await local(["tar", "-xf", part, "-C", localPath], doing: "unpack \(path) into \(localPath)")
        } else {
            chmod(part, mode_t(answer.mode ?? 0o644))
            guard rename(part, localPath) == 0 else {
                throw TransportError(
                    target: target, message: "cannot put \(path) at \(localPath): \(String(cString: strerror(errno)))")
            }
        }
    }

    public func close() async {}

    private func request(_ op: AgentMessage.Op, _ command: Command) -> AgentMessage {
        var message = AgentMessage(op, id: AgentWire.newID())
        message.argv = command.argv
        message.env = command.environment
        message.root = root
        message.graceMs = Self.milliseconds(stopGrace)
        return message
    }

    /// Sends a file's bytes as chunks; nil, or why it could not be read (the agent then drops what it got).
    static func stream(_ path: String, id: String, into outbox: AgentOutbox) async -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "cannot read \(path)" }
        defer { try? handle.close() }
        while true {
            let data: Data
            do {
                data = try handle.read(upToCount: AgentWire.chunkSize) ?? Data()
            } catch {
                return "cannot read \(path): \(error)"
            }
            if data.isEmpty { return nil }
            guard await outbox.send(chunk: AgentWire.chunk(id: id, data)) else { return "the connection ended" }
        }
    }

    /// Runs a helper (tar) on this machine.
    private func local(_ argv: [String], doing what: String) async throws(TransportError) {
        let here = LocalTransport(target: target, root: "/", environment: ProcessInfo.processInfo.environment)
        let result = try await here.run(Command(argv), options: RunOptions())
        guard result.succeeded else {
            throw TransportError(target: target, message: "cannot \(what): \(result.stderr)")
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    static func mode(of path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_mode & 0o7777) : 0o644
    }
}

/// A session process an agent holds.
struct AgentBackgroundCommand: BackgroundCommand {
    let link: AgentLink
    let id: String
    let pid: Int32
    let session: AgentSession
    let target: String

    var isRunning: Bool { session.isRunning }

    func close(grace: Duration) async -> CommandResult {
        var message = AgentMessage(.close, id: id)
        message.graceMs = AgentConnection.milliseconds(grace)
        do {
            return try await link.call(message, target: target, session: session).result
        } catch {
            return CommandResult(exitCode: 255, stderr: error.message, stoppedBy: .closed)
        }
    }
}

extension AgentConnection: HomeReachable {
    /// Phone home through the agent: it puts `lander-call` under the target's root and listens on a Unix
    /// socket of its own (mode 0600); each connection a command makes there is carried over the agent's
    /// connection to the callback endpoint on this machine. Once per connection; later calls reuse it.
    public func reachHome(_ request: HomeRequest) async throws(TransportError) -> HomeAddress {
        if let known = home.address.withLock({ $0 }) { return known }
        let link = try await link()
        let id = AgentWire.newID()
        link.forwardHome(id, toPort: request.port)
        var message = AgentMessage(.listen, id: id)
        message.root = root
        message.text = request.client
        let answer = try await link.call(message, target: target)
        let address = HomeAddress(url: "unix:" + (answer.path ?? ""), bin: answer.text ?? "")
        home.address.withLock { $0 = address }
        return address
    }
}

/// The way home a connection has set up, kept for its later calls.
final class AgentHome: Sendable {
    let address = Mutex<HomeAddress?>(nil)
}
