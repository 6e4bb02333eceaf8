import CLuaShim
import Synchronization

/// Stops a runtime's script from any thread, for a reason its error carries (`LuaError.Kind.stopped`):
/// the budget hook raises at the script's next instructions (its own `pcall` cannot swallow it), and a
/// host call it waits on is abandoned once the switch is armed. `lander.lock` arms it and trips it when a
/// lease it holds is lost, so a script never goes on acting as a holder it no longer is.
public final class LuaStop: Sendable {
    private struct State {
        var reason: String?
        var armed = false
        var budget: BudgetHandle?
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    init() {}

    /// The reason it was tripped for, if it was.
    public var reason: String? { state.withLock { $0.reason } }

    /// Whether host calls race the switch (set once something may trip it).
    var isArmed: Bool { state.withLock { $0.armed } }

    /// Makes host calls the script waits on end when the switch trips.
    public func arm() { state.withLock { $0.armed = true } }

    /// Stops the script for `reason` (the first reason stands).
    public func trip(_ reason: String) {
        // The budget is interrupted under the lock: its runtime cannot go away meanwhile (`attach(nil)`).
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard state.reason == nil else { return [] }
            state.reason = reason
            state.budget?.interrupt(LANDER_STOP_HOST)
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the switch trips, or the waiting task is cancelled.
    func tripped() async {
        let key = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.reason != nil || Task.isCancelled { return true }
                    state.waiters[key] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: key) }?.resume()
        }
    }

    /// Binds the switch to its runtime's budget (nil when the runtime goes away).
    func attach(_ budget: BudgetHandle?) { state.withLock { $0.budget = budget } }
}
