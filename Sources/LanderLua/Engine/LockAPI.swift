import LanderEngine
import Synchronization

/// The host side of `lander.lock`: takes and lets go of leases for one script run; whatever the script
/// still holds when the run ends (an error, a timeout, a cancellation) is let go by `releaseAll`. Fenced:
/// a lease lost while held (another process took the lock) stops the script at once, with what it was
/// waiting on, so it never goes on acting as a holder it no longer is.
final class LockAPI: Sendable {
    private let locks: any LockService
    private let events: EventSink
    private let held = Mutex<(next: Int64, leases: [Int64: any LockLease])>((1, [:]))

    init(locks: any LockService, events: @escaping EventSink) {
        self.locks = locks
        self.events = events
    }

    /// Installs `lander.lock`; `guarding` names the commands that run under its claims (a template's task run).
    func install(in runtime: LuaRuntime, step: String, guarding: LockGuard? = nil) {
        let stop = runtime.stop
        runtime.registerInternal(
            "lock_acquire", displayName: "lander.lock",
            async: { [self] arguments in
                guard let name = arguments.first?.stringValue else {
                    throw LuaArgumentError(position: 1, function: "lander.lock", problem: "lock name expected")
                }
                let limit = Int(arguments.dropFirst().first?.integerValue ?? 1)
                let events = self.events
                let lease = try await locks.acquire(name, limit: limit, guarding: guarding) { holders in
                    events(.waitingForLock(name: name, holders: holders, step: step, task: nil))
                }
                stop.arm()
                lease.onLost {
                    stop.trip(
                        "lock '\(name)' was lost while the script held it (it could not be renewed in time and another "
                            + "holder may have it); the script was stopped with what it was running")
                }
                let id = held.withLock { held in
                    defer { held.next += 1 }
                    held.leases[held.next] = lease
                    return held.next
                }
                return [.integer(id)]
            })
        runtime.registerInternal(
            "lock_release", displayName: "lander.lock",
            async: { [self] arguments in
                let id = arguments.first?.integerValue ?? 0
                let lease = held.withLock { $0.leases.removeValue(forKey: id) }
                await lease?.release()
                return []
            })
    }

    /// Lets go of every lease the run still holds.
    func releaseAll() async {
        let leases = held.withLock { held in
            defer { held.leases = [:] }
            return Array(held.leases.values)
        }
        for lease in leases { await lease.release() }
    }
}
