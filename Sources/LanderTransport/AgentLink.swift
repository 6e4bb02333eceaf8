import Foundation
import Synchronization

/// The server's end of one agent's connection: requests by id, their answers routed back, and, when the
/// connection ends, every request still waiting failed as "connection lost" (never as an exit code: what
/// happened to the command is not known).
public final class AgentLink: Sendable {
    /// The agent's name.
    public let agent: String
    /// The environment it was enrolled for.
    public let environment: String
    /// The roles it was enrolled for.
    public let roles: [String]
    /// Frames for the connection's writer.
    public let outbox = AgentOutbox()

    private struct Pending {
        var answer: CheckedContinuation<AgentMessage, any Error>?
        var onLine: (@Sendable (String, Bool) -> Void)?
        var sink: FileSink?
        var session: AgentSession?
    }

    private struct State {
        var pending: [String: Pending] = [:]
        var lost: String?
        /// The callback endpoint's port behind each of the agent's home listeners.
        var homes: [String: Int] = [:]
    }
    private let state = Mutex(State())
    let streams = ForwardedStreams()

    /// A link for an authenticated agent.
    public init(agent: String, environment: String, roles: [String]) {
        self.agent = agent
        self.environment = environment
        self.roles = roles
    }

    /// Why the connection ended, once it has.
    public var lostReason: String? { state.withLock { $0.lost } }

    /// Sends a request and waits for its answer (`exit`, `done`, `spawned`); a `failed` answer throws. Lines
    /// go to `onLine`, bulk bytes to `sink`; `body` runs after the request is sent (an upload's chunks).
    /// Cancelling the caller sends `cancel` (the agent stops the command; its answer still comes).
    func call(
        _ message: AgentMessage, target: String, onLine: (@Sendable (String, Bool) -> Void)? = nil,
        sink: FileSink? = nil, session: AgentSession? = nil,
        body: (@Sendable (AgentOutbox) async -> Void)? = nil
    ) async throws(TransportError) -> AgentMessage {
        let id = message.id ?? AgentWire.newID()
        var identified = message
        identified.id = id
        let message = identified
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let lost = state.withLock { state -> String? in
                        if let lost = state.lost { return lost }
                        var entry = state.pending[id] ?? Pending()
                        entry.answer = continuation
                        entry.onLine = onLine ?? entry.onLine
                        entry.sink = sink ?? entry.sink
                        entry.session = session ?? entry.session
                        state.pending[id] = entry
                        return nil
                    }
                    if let lost {
                        continuation.resume(throwing: TransportError(target: target, message: lost))
                    } else {
                        outbox.send(message)
                        if let body { Task { await body(outbox) } }
                    }
                }
            } onCancel: {
                if message.op == .run { outbox.send(AgentMessage(.cancel, id: id)) }
            }
        } catch let error as TransportError {
            throw TransportError(target: target, message: error.message)
        } catch {
            throw TransportError(target: target, message: "\(error)")
        }
    }

    /// Connections the agent takes on home listener `listener` are forwarded to 127.0.0.1:`port`.
    func forwardHome(_ listener: String, toPort port: Int) { state.withLock { $0.homes[listener] = port } }

    /// Routes a text frame from the agent.
    public func receive(text: String) {
        guard let message = AgentMessage(json: text), let id = message.id else { return }
        switch message.op {
        case .line:
            let onLine = state.withLock { $0.pending[id]?.onLine }
            onLine?(message.text ?? "", message.isError ?? false)
        case .ended:
            let session = state.withLock { $0.pending[id]?.session }
            session?.markEnded()
        case .dial:
            // Connected here, before the next frame is read: the stream's bytes follow its dial at once.
            let port = state.withLock { state in message.listener.flatMap { state.homes[$0] } }
            if let port, let fd = ForwardSockets.connect(port: port) {
                streams.attach(fd, id: id, outbox: outbox)
            } else {
                outbox.send(AgentMessage(.eof, id: id))
            }
        case .eof: streams.peerEnded(id)
        case .exit, .done, .spawned, .failed:
            let entry = state.withLock { state -> Pending? in
                guard var entry = state.pending[id] else { return nil }
                let taken = entry
                entry.answer = nil
                // A session's id stays: its end and its close answer come later.
                if message.op == .spawned { state.pending[id] = entry } else { state.pending[id] = nil }
                return taken
            }
            guard let entry else { return }
            if message.op == .exit { entry.session?.markEnded() }
            if message.op == .failed {
                entry.answer?.resume(
                    throwing: TransportError(target: agent, message: message.text ?? "the agent gave no reason"))
            } else {
                entry.answer?.resume(returning: message)
            }
        default: break
        }
    }

    /// Routes a binary frame from the agent (a download's bytes).
    public func receive(binary frame: [UInt8]) {
        guard let (id, bytes) = AgentWire.split(frame) else { return }
        if streams.deliver(bytes, to: id) { return }
        let sink = state.withLock { $0.pending[id]?.sink }
        sink?.write(bytes)
    }

    /// The connection has ended: everything waiting fails with `reason`, sessions count as ended.
    public func close(reason: String) {
        let entries = state.withLock { state -> [Pending] in
            if state.lost == nil { state.lost = reason }
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        outbox.close()
        streams.closeAll()
        for entry in entries {
            entry.session?.markEnded()
            entry.answer?.resume(throwing: TransportError(target: agent, message: reason))
        }
    }
}

/// A session process held by an agent, as the server sees it.
final class AgentSession: Sendable {
    private let ended = Atomic<Bool>(false)

    /// Whether the agent said it ended, or the connection did.
    var isRunning: Bool { !ended.load(ordering: .acquiring) }
    func markEnded() { ended.store(true, ordering: .releasing) }
}

/// Where a download's bytes go as they arrive: a temporary file.
final class FileSink: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private let handle: FileHandle?
    private var failure: String?

    /// A sink writing a new file at `path`.
    init(path: String) {
        self.path = path
        _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        handle = FileHandle(forWritingAtPath: path)
        if handle == nil { failure = "cannot write \(path)" }
    }

    func write(_ bytes: ArraySlice<UInt8>) {
        lock.withLock {
            guard failure == nil, let handle else { return }
            do { try handle.write(contentsOf: bytes) } catch { failure = "cannot write \(path): \(error)" }
        }
    }

    /// Closes the file; what went wrong writing it, if anything.
    func finish() -> String? {
        lock.withLock {
            try? handle?.close()
            return failure
        }
    }
}
