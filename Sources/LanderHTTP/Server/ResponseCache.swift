import Foundation
import LanderStore
import NIOCore
import Synchronization

/// Answers read from the store, kept while the store has no new commit (`StateStore.generation()`) and for at
/// most a second (a deployment whose lander died turns `interrupted` with no commit at all): a dashboard open
/// in many tabs, or a script polling the status, costs one read per change, not one per request.
final class ResponseCache: Sendable {
    private struct Entry {
        var generation: Int64
        var made: ContinuousClock.Instant
        var bytes: ByteBuffer
    }

    private let store: StateStore
    private let lifetime: Duration
    private let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(store: StateStore, lifetime: Duration = .seconds(1), capacity: Int = 512) {
        self.store = store
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The bytes kept under `key` if still good, else those `make` gives (kept for the next asker). Two
    /// askers at once may both make them; the store is read, never written.
    func bytes(_ key: String, make: () throws -> ByteBuffer) rethrows -> ByteBuffer {
        guard let generation = store.generation() else { return try make() }
        let now = ContinuousClock.now
        if let kept = entries.withLock({ $0[key] }), kept.generation == generation, now - kept.made < lifetime {
            return kept.bytes
        }
        let made = try make()
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.generation == generation && now - $0.value.made < lifetime }
                if entries.count >= capacity { entries.removeAll() }
            }
            entries[key] = Entry(generation: generation, made: now, bytes: made)
        }
        return made
    }
}
