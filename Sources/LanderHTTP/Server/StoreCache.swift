import Foundation
import LanderStore
import Synchronization

/// What was read from the store (an answer's bytes, a dashboard's cells), kept while the store has no new
/// commit (`StateStore.generation()`) and for at most a second (a deployment whose lander died turns
/// `interrupted` with no commit at all): a dashboard open in many tabs, or a script polling the status, costs
/// one read per change, not one per request.
final class StoreCache<Value: Sendable>: Sendable {
    private struct Entry {
        var generation: Int64
        var made: ContinuousClock.Instant
        var value: Value
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

    /// The value kept under `key` if still good, else the one `make` gives (kept for the next asker). Two
    /// askers at once may both make it; the store is read, never written.
    func value(_ key: String, make: () throws -> Value) rethrows -> Value {
        guard let generation = store.generation() else { return try make() }
        let now = ContinuousClock.now
        if let kept = entries.withLock({ $0[key] }), kept.generation == generation, now - kept.made < lifetime {
            return kept.value
        }
        let made = try make()
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.generation == generation && now - $0.value.made < lifetime }
                if entries.count >= capacity { entries.removeAll() }
            }
            entries[key] = Entry(generation: generation, made: now, value: made)
        }
        return made
    }
}
