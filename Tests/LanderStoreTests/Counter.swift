import Synchronization

/// A count other tasks and threads change, and a bounded wait for it to reach a number.
final class Counter: Sendable {
    private let number = Mutex(0)

    /// The count now.
    var value: Int { number.withLock { $0 } }

    /// Adds `amount` (one unless said); the new count.
    @discardableResult
    func add(_ amount: Int = 1) -> Int {
        number.withLock { value in
            value += amount
            return value
        }
    }

    /// Raises the count to `other` if that is more (a high-water mark).
    func raise(to other: Int) { number.withLock { $0 = max($0, other) } }

    /// Whether it reached `target` within a minute.
    func reach(_ target: Int) async throws -> Bool {
        for _ in 0..<600 {
            if value >= target { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
