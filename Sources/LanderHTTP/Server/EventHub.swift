import Foundation
import LanderEngine
import LanderService
import Synchronization

/// Fans each running deployment's events out to the clients following it (Server-Sent Events), and keeps
/// what it sent so a client that joins late gets the run so far first, then the rest live, with no event
/// missed or doubled (events are numbered; a client resumes after the number it saw).
final class EventHub: Sendable {
    /// One event as a client gets it: its sequence number and its JSON.
    typealias Item = (sequence: Int, json: String)

    private struct Channel {
        var items: [Item] = []
        var subscribers: [UUID: AsyncStream<Item>.Continuation] = [:]
    }

    private let channels = Mutex<[String: Channel]>([:])
    /// Told of every event published and every deployment that ends (a hint for the outbox).
    private let onEvent: @Sendable () -> Void

    /// A hub; `onEvent` hears of each event (it must return at once).
    init(onEvent: @escaping @Sendable () -> Void = {}) { self.onEvent = onEvent }

    /// How often a quiet stream gets a keep-alive comment (`LANDER_SSE_HEARTBEAT_SECONDS`, for tests).
    static let heartbeat: Duration = {
        let seconds = ProcessInfo.processInfo.environment["LANDER_SSE_HEARTBEAT_SECONDS"].flatMap(Double.init) ?? 15
        return .milliseconds(Int64(max(0.05, seconds) * 1000))
    }()
    /// The item that stands for one (no event has sequence -1).
    static let keepAlive: Item = (-1, "")

    /// Starts keeping a deployment's events (before it starts, so none is missed).
    func open(_ id: String) {
        channels.withLock { if $0[id] == nil { $0[id] = Channel() } }
    }

    /// An observer that publishes a deployment's events here.
    func observer() -> any DeploymentObserver { Publisher(hub: self) }

    /// Publishes one event to the deployment's followers.
    func publish(_ envelope: EventEnvelope) {
        let item = (envelope.sequence, envelope.json)
        // Kept and handed on under one lock: events come from many tasks at once, and a follower must get
        // each one exactly once, either in its snapshot or live.
        channels.withLock { channels in
            guard var channel = channels[envelope.deployment] else { return }
            channel.items.append(item)
            channels[envelope.deployment] = channel
            for subscriber in channel.subscribers.values { subscriber.yield(item) }
        }
        onEvent()
    }

    /// The deployment ended (its journal is closed): its followers' streams end; later clients read the store.
    func close(_ id: String) {
        let channel = channels.withLock { $0.removeValue(forKey: id) }
        for subscriber in channel?.subscribers.values ?? [:].values { subscriber.finish() }
        onEvent()
    }

    /// What a client that saw up to `after` gets: the kept events after it, and the live ones to come; nil
    /// when the deployment is not running here (read the store instead).
    func follow(_ id: String, after: Int) -> (snapshot: [Item], live: AsyncStream<Item>)? {
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .unbounded)
        let key = UUID()
        let snapshot = channels.withLock { channels -> [Item]? in
            guard var channel = channels[id] else { return nil }
            channel.subscribers[key] = continuation
            channels[id] = channel
            return channel.items.filter { $0.sequence > after }
        }
        guard let snapshot else { return nil }
        // A comment line now and then keeps proxies and clients from taking a quiet stream for a dead one.
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.heartbeat)
                continuation.yield(Self.keepAlive)
            }
        }
        continuation.onTermination = { [weak self] _ in
            heartbeat.cancel()
            self?.channels.withLock { channels in _ = channels[id]?.subscribers.removeValue(forKey: key) }
        }
        return (snapshot, stream)
    }

    private struct Publisher: DeploymentObserver {
        let hub: EventHub
        func started(_ handle: DeploymentHandle) { hub.open(handle.id) }
        func observe(_ envelope: EventEnvelope) { hub.publish(envelope) }
    }
}
