import Foundation
import Synchronization

/// The request ids an agent has started, shared by all its connections (one per server, across
/// reconnects): a request repeated under an id it knows is refused, never started twice.
public final class AgentRequestMemory: Sendable {
    private struct Ids {
        var seen: Set<String> = []
        var order: [String] = []
    }
    private let ids = Mutex(Ids())
    /// How many ids are remembered.
    static let capacity = 100_000

    /// An empty memory.
    public init() {}

    /// Whether `id` is new (and now remembered).
    func remember(_ id: String) -> Bool {
        ids.withLock { ids in
            guard ids.seen.insert(id).inserted else { return false }
            ids.order.append(id)
            if ids.order.count > Self.capacity {
                let old = ids.order.prefix(Self.capacity / 10)
                ids.seen.subtract(old)
                ids.order.removeFirst(old.count)
            }
            return true
        }
    }
}

/// The agent's end of one connection: runs what the server sends as local processes (a process group
/// each, as the local transport does), streams their output, takes and gives files. An agent connected to
/// several servers has one executor a connection, sharing one `AgentRequestMemory`. When a connection
/// ends, what it started is stopped — and only that: its answers could no longer reach the server, which
/// has already reported them as lost, while another server's work goes on.
public final class AgentExecutor: Sendable {
    /// The agent's name (the target name its processes report).
    public let name: String
    /// The directory relative roots are under.
    public let workDir: String
    /// The environment commands start with, before their own variables.
    public let environment: [String: String]

    struct Upload {
        var handle: FileHandle
        var part: String
        var destination: String
        var directory: Bool
        var mode: Int
        var size = 0
    }

    struct State {
        var running: [String: Task<Void, Never>] = [:]
        var endedEarly: Set<String> = []
        var sessions: [String: any BackgroundCommand] = [:]
        var uploads: [String: Upload] = [:]
        var homes: [String: (fd: Int32, path: String)] = [:]
    }
    let state = Mutex(State())
    let streams = ForwardedStreams()
    /// The ids every connection of the agent has started.
    let memory: AgentRequestMemory

    /// An executor for one connection of an agent whose relative roots are under `workDir`.
    public init(
        name: String, workDir: String, environment: [String: String], memory: AgentRequestMemory = .init()
    ) {
        self.name = name
        self.workDir = workDir
        self.environment = environment
        self.memory = memory
    }

    /// Handles one text frame; answers go to `outbox`.
    public func receive(text: String, answering outbox: AgentOutbox) {
        guard let message = AgentMessage(json: text), let id = message.id else { return }
        switch message.op {
        case .run, .spawn, .put, .get, .listen:
            guard memory.remember(id) else {
                var refusal = AgentMessage(.failed, id: id)
                refusal.text = "request \(id) was already started on agent '\(name)'; it is never started twice"
                outbox.send(refusal)
                return
            }
            switch message.op {
            case .run: run(message, id: id, outbox)
            case .spawn: spawn(message, id: id, outbox)
            case .put: beginUpload(message, id: id, outbox)
            case .listen: listen(message, id: id, outbox)
            default: download(message, id: id, outbox)
            }
        case .cancel:
            let task = state.withLock { $0.running[id] }
            task?.cancel()
        case .close: closeSession(message, id: id, outbox)
        case .putEnd: endUpload(message, id: id, outbox)
        case .eof: streams.peerEnded(id)
        default: break
        }
    }

    /// Handles one binary frame (an upload's bytes).
    public func receive(binary frame: [UInt8], answering outbox: AgentOutbox) {
        guard let (id, bytes) = AgentWire.split(frame) else { return }
        if streams.deliver(bytes, to: id) { return }
        state.withLock { state in
            guard var upload = state.uploads[id] else { return }
            do {
                try upload.handle.write(contentsOf: bytes)
                upload.size += bytes.count
                state.uploads[id] = upload
            } catch {
                try? upload.handle.close()
                unlink(upload.part)
                state.uploads[id] = nil
                var failure = AgentMessage(.failed, id: id)
                failure.text = "cannot write \(upload.destination) on agent '\(name)': \(error)"
                outbox.send(failure)
            }
        }
    }

    /// Starts stopping everything at once (the agent is told to exit); `connectionEnded` waits for it.
    public func stopAll() {
        let tasks = state.withLock { Array($0.running.values) }
        for task in tasks { task.cancel() }
    }

    /// The connection has ended: its commands and sessions are stopped, partial uploads removed.
    public func connectionEnded() async {
        let (tasks, sessions, uploads) = state.withLock { state in
            defer {
                state.running = [:]
                state.sessions = [:]
                state.uploads = [:]
            }
            return (Array(state.running.values), Array(state.sessions.values), Array(state.uploads.values))
        }
        for task in tasks { task.cancel() }
        closeHomes()
        for upload in uploads {
            try? upload.handle.close()
            unlink(upload.part)
        }
        await withTaskGroup(of: Void.self) { group in
            for session in sessions { group.addTask { _ = await session.close(grace: .seconds(3)) } }
            for task in tasks { group.addTask { await task.value } }
        }
    }

    func transport(_ message: AgentMessage) -> LocalTransport {
        var local = LocalTransport(target: name, root: resolve(message.root ?? "."), environment: environment)
        local.stopGrace = .milliseconds(message.graceMs ?? 3000)
        return local
    }

    /// An absolute path, or one under the work directory.
    func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : workDir + "/" + path }

    /// A path on the target: absolute, or under the request's root.
    func place(_ message: AgentMessage) -> String {
        let path = message.path ?? "."
        return path.hasPrefix("/") ? path : resolve(message.root ?? ".") + "/" + path
    }

    private func run(_ message: AgentMessage, id: String, _ outbox: AgentOutbox) {
        let local = transport(message)
        let command = Command(message.argv ?? [], environment: message.env ?? [:])
        var onLine: (@Sendable (String, Bool) -> Void)?
        if message.lines == true {
            onLine = { line, isError in
                var answer = AgentMessage(.line, id: id)
                answer.text = line
                answer.isError = isError
                outbox.send(answer)
            }
        }
        let options = RunOptions(timeout: message.timeoutMs.map { .milliseconds($0) }, onLine: onLine)
        let task = Task {
            do {
                outbox.send(AgentMessage(exit: try await local.run(command, options: options), id: id))
            } catch {
                outbox.send(Self.failure(id, Self.describe(error)))
            }
            self.state.withLock { state in
                if state.running.removeValue(forKey: id) == nil { state.endedEarly.insert(id) }
            }
        }
        state.withLock { state in
            if state.endedEarly.remove(id) == nil { state.running[id] = task }
        }
    }

    /// What a caught error says.
    static func describe(_ error: any Error) -> String { (error as? TransportError)?.message ?? "\(error)" }

    private func spawn(_ message: AgentMessage, id: String, _ outbox: AgentOutbox) {
        let local = transport(message)
        let command = Command(message.argv ?? [], environment: message.env ?? [:])
        Task {
            do {
                let session = try await local.spawn(command)
                state.withLock { $0.sessions[id] = session }
                var answer = AgentMessage(.spawned, id: id)
                answer.pid = session.pid
                outbox.send(answer)
                if let watched = session as? LocalBackgroundCommand {
                    _ = await watched.process.wait()
                    outbox.send(AgentMessage(.ended, id: id))
                }
            } catch {
                outbox.send(Self.failure(id, Self.describe(error)))
            }
        }
    }

    private func closeSession(_ message: AgentMessage, id: String, _ outbox: AgentOutbox) {
        guard let session = state.withLock({ $0.sessions.removeValue(forKey: id) }) else {
            outbox.send(Self.failure(id, "no session \(id) on agent '\(name)' (it ended with an earlier connection)"))
            return
        }
        Task {
            let result = await session.close(grace: .milliseconds(message.graceMs ?? 3000))
            outbox.send(AgentMessage(exit: result, id: id))
        }
    }

    static func failure(_ id: String, _ text: String) -> AgentMessage {
        var message = AgentMessage(.failed, id: id)
        message.text = text
        return message
    }
}
