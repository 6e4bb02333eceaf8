import Synchronization

/// The frames waiting for a connection's one writer, in two lanes. Messages go before the bulk lane, so a
/// large transfer never holds up a command; the bulk lane keeps its own order (a transfer's chunks, then
/// the message that ends it) and holds at most `bulkLimit` frames (a sender waits for room), so a
/// transfer's memory stays bounded whatever the link's speed.
public final class AgentOutbox: Sendable {
    private struct State {
        var messages: [AgentFrame] = []
        var bulk: [AgentFrame] = []
        var writer: CheckedContinuation<AgentFrame?, Never>?
        var bulkWaiters: [CheckedContinuation<Bool, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())
    /// How many chunks may wait.
    public let bulkLimit: Int

    /// An open outbox.
    public init(bulkLimit: Int = 8) { self.bulkLimit = bulkLimit }

    /// Queues a message; false when the connection has ended.
    @discardableResult
    public func send(_ message: AgentMessage) -> Bool { send(frame: .text(message.json)) }

    /// Queues a small binary frame in the message lane (a forwarded stream's bytes, which must not wait
    /// behind a transfer); false when the connection has ended.
    @discardableResult
    public func send(small bytes: [UInt8]) -> Bool { send(frame: .binary(bytes)) }

    private func send(frame: AgentFrame) -> Bool {
        let (sent, writer) = state.withLock { state -> (Bool, CheckedContinuation<AgentFrame?, Never>?) in
            guard !state.closed else { return (false, nil) }
            if let writer = state.writer {
                state.writer = nil
                return (true, writer)
            }
            state.messages.append(frame)
            return (true, nil)
        }
        writer?.resume(returning: frame)
        return sent
    }

    /// Queues a chunk of bulk bytes in the bulk lane, waiting while it is full; false when the connection
    /// has ended.
    public func send(chunk bytes: [UInt8]) async -> Bool { await send(bulk: .binary(bytes)) }

    /// Queues a message in the bulk lane, behind the chunks already there (what ends a transfer).
    public func send(behindBulk message: AgentMessage) async -> Bool { await send(bulk: .text(message.json)) }

    private func send(bulk frame: AgentFrame) async -> Bool {
        while true {
            enum Step {
                case queued
                case handed(CheckedContinuation<AgentFrame?, Never>)
                case full
                case closed
            }
            let step = state.withLock { state -> Step in
                if state.closed { return .closed }
                if let writer = state.writer {
                    state.writer = nil
                    return .handed(writer)
                }
                guard state.bulk.count < bulkLimit else { return .full }
                state.bulk.append(frame)
                return .queued
            }
            switch step {
            case .queued: return true
            case .handed(let writer):
                writer.resume(returning: frame)
                return true
            case .closed: return false
            case .full:
                let open = await withCheckedContinuation { continuation in
                    let answer = state.withLock { state -> Bool? in
                        if state.closed { return false }
                        if state.bulk.count < bulkLimit { return true }
                        state.bulkWaiters.append(continuation)
                        return nil
                    }
                    if let answer { continuation.resume(returning: answer) }
                }
                if !open { return false }
            }
        }
    }

    /// The next frame for the writer (messages first); nil once closed and empty. One writer only.
    public func next() async -> AgentFrame? {
        await withCheckedContinuation { continuation in
            let (frame, waiter) = state.withLock { state -> (AgentFrame??, CheckedContinuation<Bool, Never>?) in
                if !state.messages.isEmpty { return (.some(state.messages.removeFirst()), nil) }
                if !state.bulk.isEmpty {
                    let chunk = state.bulk.removeFirst()
                    let waiter = state.bulkWaiters.isEmpty ? nil : state.bulkWaiters.removeFirst()
                    return (.some(chunk), waiter)
                }
                if state.closed { return (.some(nil), nil) }
                state.writer = continuation
                return (nil, nil)
            }
            waiter?.resume(returning: true)
            if let frame { continuation.resume(returning: frame) }
        }
    }

    /// Ends the outbox: senders are told, the writer gets nil once what is queued is taken.
    public func close() {
        let (writer, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.writer = nil
                state.bulkWaiters = []
            }
            return (state.writer, state.bulkWaiters)
        }
        writer?.resume(returning: nil)
        for waiter in waiters { waiter.resume(returning: false) }
    }

    /// Whether the outbox has been closed.
    public var isClosed: Bool { state.withLock { $0.closed } }
}
