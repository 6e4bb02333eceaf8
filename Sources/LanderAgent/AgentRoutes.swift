import Foundation
import LanderTransport
import Synchronization

/// Which servers an agent is connected to and which it should be (decision 0019): the addresses it was
/// given (`--server`, kept for ever) and those the servers advertise (learned from every `welcome` and
/// `servers` message, the latest list wins). A server already served by one connection is not dialled
/// again under another address: two connections of one agent to one server would replace each other.
final class AgentRoutes: Sendable {
    private struct State {
        /// The latest list of live servers.
        var listed: [AgentServerAddress] = []
        /// Open connections: their token and the server id each reached.
        var serving: [UUID: String] = [:]
        /// Learned addresses with a loop dialling them.
        var dialled: Set<String> = []
    }

    private let state = Mutex(State())
    /// The addresses given on the command line.
    let given: Set<String>
    /// What the client acts on: an address learned (start a loop for it), a refusal (stop the agent).
    enum Event: Sendable {
        case learned(String)
        case refused(AgentError)
    }
    /// The events, in order.
    let events: AsyncStream<Event>
    private let sink: AsyncStream<Event>.Continuation

    /// Routes starting from the given addresses.
    init(given: [URL]) {
        self.given = Set(given.map(Self.key))
        (events, sink) = AsyncStream<Event>.makeStream()
    }

    /// The form addresses are compared in (no trailing slash).
    static func key(_ url: URL) -> String { key(url.absoluteString) }

    static func key(_ address: String) -> String {
        address.hasSuffix("/") ? String(address.dropLast()) : address
    }

    /// A connection reached server `id`, which listed `servers`.
    func connected(_ token: UUID, server id: String?, servers: [AgentServerAddress]?) {
        state.withLock { $0.serving[token] = id ?? "?" }
        if let servers { learn(servers) }
    }

    /// A connection ended.
    func disconnected(_ token: UUID) {
        _ = state.withLock { $0.serving.removeValue(forKey: token) }
    }

    /// Takes a new list of live servers; addresses not dialled yet go out as `learned` events.
    func learn(_ servers: [AgentServerAddress]) {
        let fresh = state.withLock { state -> [String] in
            state.listed = servers
            let new = Set(servers.map { Self.key($0.address) }).subtracting(given).subtracting(state.dialled)
            state.dialled.formUnion(new)
            return new.sorted()
        }
        for address in fresh { sink.yield(.learned(address)) }
    }

    /// What a learned address's loop should do now.
    enum Advice: Equatable {
        /// Dial it.
        case dial
        /// Its server is served by another connection: wait and ask again.
        case wait
        /// It is no longer listed: stop its loop (a later list may start it again).
        case stop
    }

    /// What the loop of learned `address` should do before dialling.
    func advice(for address: String) -> Advice {
        state.withLock { state in
            guard let listed = state.listed.first(where: { Self.key($0.address) == address }) else {
                state.dialled.remove(address)
                return .stop
            }
            return state.serving.values.contains(listed.id) ? .wait : .dial
        }
    }

    /// A server refused the agent (revoked, unknown): every connection stops.
    func refused(_ error: AgentError) { sink.yield(.refused(error)) }

    /// No more events.
    func finish() { sink.finish() }
}
