import Synchronization

/// A wake-up one task waits for, bounded by a timeout and ended by cancellation: a wake while nobody
/// waits is kept for the next wait. What an outbox or a server's queue sleeps on between looks.
public final class WakeSignal: Sendable {
    private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    /// Creates a signal with no wake pending.
    public init() {}

    /// Wakes the waiter, or the next one.
    public func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next wake (at once if one came since the last wait), after `timeout`, or when cancelled.
    public func wait(atMost timeout: Duration) async {
        let timer = Task { [weak self] in
            if (try? await Task.sleep(for: timeout)) != nil { self?.wake() }
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
