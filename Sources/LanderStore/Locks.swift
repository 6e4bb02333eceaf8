public import Foundation
public import LanderEngine
import Synchronization

/// Named locks and counted semaphores kept in the store, shared by every process and project using it.
///
/// A claim is a row: waiting, then holding. Claims are served in arrival order; a claim lives while its
/// owner renews it (every third of the lease). The claim of a holder that died (its lease ran out, or its
/// process on this machine is gone) passes on only once what it ran under the lock is gone too: the
/// commands carrying its `LANDER_RUN` prefix (`LockGuard`) are looked for on this machine, and a claim
/// guarding commands on other machines stays until `lander resume` stops them (`releaseLeftovers`).
public final class StoreLocks: LockService, Sendable {
    private let store: StateStore
    /// Who claims: shown to waiters and by `lander status`.
    public let owner: String

    /// Locks taken for `owner` (e.g. "shop/prod deployment 2026…, step migrate").
    public init(store: StateStore, owner: String) {
        self.store = store
        self.owner = owner
    }

    public func acquire(
        _ name: String, limit: Int, guarding: LockGuard?, waiting: @escaping @Sendable (String) -> Void
    ) async throws -> any LockLease {
        try await acquire(name, limit: limit, as: owner, guarding: guarding, waiting: waiting)
    }

    public func releaseLeftovers(of deployment: String) async {
        try? store.releaseLeftovers(of: deployment)
    }

    /// Like `acquire(_:limit:guarding:waiting:)`, claiming as `owner`; without `wait`, a busy lock throws at once.
    public func acquire(
        _ name: String, limit: Int, as owner: String, wait: Bool = true, guarding: LockGuard? = nil,
        waiting: @escaping @Sendable (String) -> Void
    ) async throws -> StoreLease {
        let store = self.store
        let ticket = try store.transaction { sql in
            try sql.integer(
                """
                INSERT INTO lock_claim (name, lim, holding, owner, pid, host, since, expires_at,
                  deployment_id, guard_run, guard_remote)
                VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ticket
                """,
                [
                    name, limit, owner, Int64(getpid()), store.host, StateStore.now,
                    StateStore.now + store.leaseSeconds, guarding?.deployment, guarding?.runPrefix,
                    guarding?.remote == true ? 1 : 0,
                ]) ?? 0
        }
        var told = false
        var pause = Duration.milliseconds(5)
        do {
            while true {
                try Task.checkCancellation()
                switch try attempt(name, limit: limit, ticket: ticket) {
                case .taken:
                    return StoreLease(store: store, ticket: ticket, name: name)
                case .busy(let holders):
                    if !wait { throw StoreError(.busy, "'\(name)' is held by \(holders)") }
                    if !told {
                        told = true
                        waiting(holders)
                    }
                }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(200))
            }
        } catch {
            _ = try? store.transaction { sql in try sql.execute("DELETE FROM lock_claim WHERE ticket = ?", [ticket]) }
            throw error
        }
    }

    private enum Attempt {
        case taken
        case busy(String)
    }

    /// One look, in a write transaction: clears dead claims (a dead holder's only once what it guarded is
    /// gone), takes the lock if this claim is first in line and a place is free, else renews the claim and
    /// says who holds the lock.
    private func attempt(_ name: String, limit: Int, ticket: Int64) throws(StoreError) -> Attempt {
        let store = self.store
        return try store.transaction { sql in
            let now = StateStore.now
            let claims = try sql.rows(
                """
                SELECT ticket, holding, owner, pid, host, expires_at, deployment_id, guard_run, guard_remote
                FROM lock_claim WHERE name = ? ORDER BY ticket
                """, [name])
            let mine = claims.first { $0.integer("ticket") == ticket }?.text("deployment_id")
            var live: [(row: SQLRow, note: String?)] = []
            for claim in claims {
                let gone =
                    (claim.real("expires_at") ?? 0) < now
                    || store.isGone(pid: claim.integer("pid") ?? 0, host: claim.string("host"))
                guard gone, claim.integer("ticket") != ticket else {
                    live.append((claim, nil))
                    continue
                }
                // A resumed deployment takes over its own dead run's claims: it stops the leftovers first.
                let takenOver = mine != nil && claim.text("deployment_id") == mine
                if claim.integer("holding") == 1, !takenOver, let still = store.stillRunning(under: claim) {
                    live.append((claim, still))
                } else {
                    try sql.execute("DELETE FROM lock_claim WHERE ticket = ?", [claim.integer("ticket")])
                }
            }
            let holders = live.filter { $0.row.integer("holding") == 1 }
            let ahead = live.filter { $0.row.integer("holding") == 0 && ($0.row.integer("ticket") ?? 0) < ticket }
            let expires = now + store.leaseSeconds
            if holders.count < limit, ahead.isEmpty {
                try sql.execute(
                    "UPDATE lock_claim SET holding = 1, since = ?, expires_at = ? WHERE ticket = ?",
                    [now, expires, ticket])
                return .taken
            }
            try sql.execute("UPDATE lock_claim SET expires_at = ? WHERE ticket = ?", [expires, ticket])
            let names = holders.map { holder in
                "\(holder.row.string("owner")) (pid \(holder.row.integer("pid") ?? 0) on \(holder.row.string("host"))"
                    + (holder.note.map { ", gone; \($0)" } ?? "") + ")"
            }
            return .busy(names.isEmpty ? "earlier waiters" : names.joined(separator: "; "))
        }
    }
}

/// A held claim, renewed in the background until released. Fenced: a renewal that finds the claim gone
/// (another process judged this one dead and took the lock), or no renewal for a whole lease, loses the
/// lease, and whoever runs under it is told to stop (`onLost`).
public final class StoreLease: LockLease, Sendable {
    private let store: StateStore
    private let ticket: Int64
    /// The lock's name.
    public let name: String
    private let renewal = Mutex<Task<Void, Never>?>(nil)
    private let state = Mutex<(lost: Bool, handlers: [@Sendable () -> Void])>((false, []))

    init(store: StateStore, ticket: Int64, name: String) {
        self.store = store
        self.ticket = ticket
        self.name = name
        let interval = store.lease / 3
        let task = Task.detached(executorPreference: store.executor) { [weak self] in
            var renewed = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                let held = try? store.transaction { sql in
                    try sql.execute(
                        "UPDATE lock_claim SET expires_at = ? WHERE ticket = ? AND holding = 1",
                        [StateStore.now + store.leaseSeconds, ticket])
                }
                if let held, held > 0 {
                    renewed = ContinuousClock.now
                } else if held == 0 || ContinuousClock.now - renewed > store.lease {
                    self?.lose()
                    return
                }
            }
        }
        renewal.withLock { $0 = task }
    }

    /// Whether the lease was lost.
    public var isLost: Bool { state.withLock { $0.lost } }

    public func onLost(_ handler: @escaping @Sendable () -> Void) {
        let lost = state.withLock { state -> Bool in
            if !state.lost { state.handlers.append(handler) }
            return state.lost
        }
        if lost { handler() }
    }

    private func lose() {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.lost else { return [] }
            state.lost = true
            defer { state.handlers = [] }
            return state.handlers
        }
        for handler in handlers { handler() }
    }

    public func release() async {
        renewal.withLock { $0?.cancel() }
        _ = try? store.transaction { sql in try sql.execute("DELETE FROM lock_claim WHERE ticket = ?", [ticket]) }
    }
}

/// A claim on a lock, as `lander status` shows it.
public struct LockClaim: Sendable, Codable {
    public var name: String
    public var limit: Int
    public var holding: Bool
    public var owner: String
    public var pid: Int64
    public var host: String
    public var since: Date
    public var expiresAt: Date
}

extension StateStore {
    /// Live claims (holders and waiters) on every lock, in order.
    public func lockClaims() throws(StoreError) -> [LockClaim] {
        let now = Self.now
        return try reading { sql in
            try sql.rows(
                """
                SELECT name, lim, holding, owner, pid, host, since, expires_at, deployment_id, guard_run,
                  guard_remote
                FROM lock_claim ORDER BY name, ticket
                """, [])
        }.filter { row in
            let alive =
                (row.real("expires_at") ?? 0) >= now
                && !isGone(pid: row.integer("pid") ?? 0, host: row.string("host"))
            return alive || (row.integer("holding") == 1 && stillRunning(under: row) != nil)
        }
        .map { row in
            LockClaim(
                name: row.string("name"), limit: row.int("lim"), holding: row.integer("holding") == 1,
                owner: row.string("owner"), pid: row.integer("pid") ?? 0, host: row.string("host"),
                since: row.time("since"), expiresAt: row.time("expires_at"))
        }
    }
}
