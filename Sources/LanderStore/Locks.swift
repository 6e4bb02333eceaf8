public import Foundation
import GRDB
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
        let ticket = try store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO lock_claim (name, lim, holding, owner, pid, host, since, expires_at,
                      deployment_id, guard_run, guard_remote)
                    VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    name, limit, owner, Int64(getpid()), store.host, StateStore.now,
                    StateStore.now + store.leaseSeconds, guarding?.deployment, guarding?.runPrefix,
                    guarding?.remote == true ? 1 : 0,
                ])
            return db.lastInsertedRowID
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
            try? store.write { db in try db.execute(sql: "DELETE FROM lock_claim WHERE ticket = ?", arguments: [ticket])
            }
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
        return try store.write { db in
            let now = StateStore.now
            let claims = try Row.fetchAll(
                db,
                sql: """
                    SELECT ticket, holding, owner, pid, host, expires_at, deployment_id, guard_run, guard_remote
                    FROM lock_claim WHERE name = ? ORDER BY ticket
                    """,
                arguments: [name])
            let mine = claims.first { ($0["ticket"] as Int64) == ticket }?["deployment_id"] as String?
            var live: [(row: Row, note: String?)] = []
            for claim in claims {
                let gone = (claim["expires_at"] as Double) < now || store.isGone(pid: claim["pid"], host: claim["host"])
                guard gone, (claim["ticket"] as Int64) != ticket else {
                    live.append((claim, nil))
                    continue
                }
                // A resumed deployment takes over its own dead run's claims: it stops the leftovers first.
                let takenOver = mine != nil && (claim["deployment_id"] as String?) == mine
                if (claim["holding"] as Int64) == 1, !takenOver, let still = store.stillRunning(under: claim) {
                    live.append((claim, still))
                } else {
                    try db.execute(
                        sql: "DELETE FROM lock_claim WHERE ticket = ?", arguments: [claim["ticket"] as Int64])
                }
            }
            let holders = live.filter { ($0.row["holding"] as Int64) == 1 }
            let ahead = live.filter { ($0.row["holding"] as Int64) == 0 && ($0.row["ticket"] as Int64) < ticket }
            let expires = now + store.leaseSeconds
            if holders.count < limit, ahead.isEmpty {
                try db.execute(
                    sql: "UPDATE lock_claim SET holding = 1, since = ?, expires_at = ? WHERE ticket = ?",
                    arguments: [now, expires, ticket])
                return .taken
            }
            try db.execute(sql: "UPDATE lock_claim SET expires_at = ? WHERE ticket = ?", arguments: [expires, ticket])
            let names = holders.map { holder in
                "\(holder.row["owner"] as String) (pid \(holder.row["pid"] as Int64) on \(holder.row["host"] as String)"
                    + (holder.note.map { ", gone; \($0)" } ?? "") + ")"
            }
            return .busy(names.isEmpty ? "earlier waiters" : names.joined(separator: "; "))
        }
    }
}

/// A held claim, renewed in the background until released.
public final class StoreLease: LockLease, Sendable {
    private let store: StateStore
    private let ticket: Int64
    /// The lock's name.
    public let name: String
    private let renewal: Mutex<Task<Void, Never>?>

    init(store: StateStore, ticket: Int64, name: String) {
        self.store = store
        self.ticket = ticket
        self.name = name
        let interval = store.lease / 3
        renewal = Mutex(
            Task.detached {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { return }
                    try? store.write { db in
                        try db.execute(
                            sql: "UPDATE lock_claim SET expires_at = ? WHERE ticket = ?",
                            arguments: [StateStore.now + store.leaseSeconds, ticket])
                    }
                }
            })
    }

    public func release() async {
        renewal.withLock { $0?.cancel() }
        try? store.write { db in try db.execute(sql: "DELETE FROM lock_claim WHERE ticket = ?", arguments: [ticket]) }
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
        return try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT name, lim, holding, owner, pid, host, since, expires_at, deployment_id, guard_run,
                      guard_remote
                    FROM lock_claim ORDER BY name, ticket
                    """)
        }.filter { row in
            let alive = (row["expires_at"] as Double) >= now && !isGone(pid: row["pid"], host: row["host"])
            return alive || ((row["holding"] as Int64) == 1 && stillRunning(under: row) != nil)
        }
        .map { row in
            LockClaim(
                name: row["name"], limit: row["lim"], holding: (row["holding"] as Int64) == 1, owner: row["owner"],
                pid: row["pid"], host: row["host"], since: Date(timeIntervalSince1970: row["since"]),
                expiresAt: Date(timeIntervalSince1970: row["expires_at"]))
        }
    }
}
