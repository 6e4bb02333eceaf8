public import Foundation

/// A `lander server` as the store knows it: where it runs, its load, when it was last heard from.
public struct ServerRecord: Sendable, Codable, Equatable {
    /// `HOST:PID`.
    public var id: String
    public var host: String
    public var pid: Int64
    /// Where it listens, as it said when it started.
    public var address: String?
    /// How many deployments it runs at once, at most; how many it runs now.
    public var capacity: Int, running: Int
    public var startedAt: Date
    public var heartbeatAt: Date
    /// When it stopped (SIGTERM); nil while it runs or when it died.
    public var stoppedAt: Date?
    /// Whether it is alive: not stopped, its heartbeat within the lease, its process there (on this machine).
    public var alive: Bool
}

/// Work shared by every server of one store (decision 0019): a queue entry is taken by one server for a
/// lease its heartbeat renews; a dead server's entries go back to the queue, and the deployments it ran
/// are resumed by another.
extension StateStore {
    /// This process's id as a server.
    public static var serverID: String { "\(ProcessInfo.processInfo.hostName):\(getpid())" }

    /// Records this process as a server (again, after a restart with the same pid).
    public func registerServer(address: String?, capacity: Int) throws(StoreError) {
        let now = Self.now
        try transaction { sql in
            try sql.execute(
                """
                INSERT INTO server (id, host, pid, address, capacity, running, started_at, heartbeat_at)
                VALUES (?, ?, ?, ?, ?, 0, ?, ?)
                ON CONFLICT (id) DO UPDATE SET address = excluded.address, capacity = excluded.capacity,
                  running = 0, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
                  stopped_at = NULL
                """, [Self.serverID, host, Int64(getpid()), address, capacity, now, now])
        }
    }

    /// Renews this server's heartbeat and the leases of the queue entries it took; `running` is its load.
    public func serverHeartbeat(running: Int) throws(StoreError) {
        let now = Self.now
        try transaction { sql in
            try sql.execute(
                "UPDATE server SET heartbeat_at = ?, running = ? WHERE id = ?", [now, running, Self.serverID])
            try sql.execute(
                "UPDATE queued_deployment SET claimed_until = ? WHERE claimed_by = ? AND state = 'started'",
                [now + leaseSeconds, Self.serverID])
        }
    }

    /// Records that this server stopped.
    public func serverStopped() throws(StoreError) {
        try transaction { sql in
            try sql.execute(
                "UPDATE server SET stopped_at = ?, running = 0 WHERE id = ?", [Self.now, Self.serverID])
        }
    }

    /// Every server that ever ran on this store, newest first.
    public func servers() throws(StoreError) -> [ServerRecord] {
        let now = Self.now
        return try reading { sql in
            try sql.rows(
                """
                SELECT id, host, pid, address, capacity, running, started_at, heartbeat_at, stopped_at FROM server
                ORDER BY started_at DESC
                """, [])
        }.map { row in
            let pid = row.integer(2) ?? 0
            let stopped = row.date(8)
            let fresh = now - (row.real(7) ?? 0) <= leaseSeconds
            return ServerRecord(
                id: row.string(0), host: row.string(1), pid: pid, address: row.text(3), capacity: row.int(4),
                running: row.int(5), startedAt: row.time(6), heartbeatAt: row.time(7), stoppedAt: stopped,
                alive: stopped == nil && fresh && !isGone(pid: pid, host: row.string(1)))
        }
    }

    /// Takes the oldest queued entry for this server, for a lease its heartbeat renews, passing over those
    /// of the `skipping` cells (`StateStore.cell`); nil when none waits. Writers go one at a time on either
    /// store, so two servers never take the same entry.
    public func claimQueued(skipping: Set<String> = []) throws(StoreError) -> QueuedDeployment? {
        let now = Self.now
        return try transaction { sql in
            let waiting = try sql.rows(
                "SELECT * FROM queued_deployment WHERE state = 'queued' ORDER BY queued_at, rowid", [])
            guard
                let row = waiting.first(where: {
                    !skipping.contains(Self.cell($0.string("project"), $0.string("environment")))
                })
            else { return nil }
            try sql.execute(
                """
                UPDATE queued_deployment SET state = 'started', claimed_by = ?, claimed_until = ?
                WHERE id = ? AND state = 'queued'
                """, [Self.serverID, now + leaseSeconds, row.string("id")])
            return Self.queued(row)
        }
    }

    /// Puts back in the queue the entries a server took and died holding before their deployment was
    /// recorded (its lease ran out, or its process here is gone). Returns how many.
    @discardableResult
    public func requeueLapsedClaims() throws(StoreError) -> Int {
        let now = Self.now
        let lapsed = try reading { sql in
            try sql.rows(
                """
                SELECT q.id, q.claimed_by, q.claimed_until, s.host, s.pid FROM queued_deployment q
                  LEFT JOIN server s ON s.id = q.claimed_by
                WHERE q.state = 'started' AND q.claimed_by IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM deployment d WHERE d.id = q.id)
                """, [])
        }.filter { row in
            (row.real(2) ?? 0) < now || isGone(pid: row.integer(4) ?? 0, host: row.string(3))
        }
        guard !lapsed.isEmpty else { return 0 }
        return try transaction { sql in
            var moved = 0
            for row in lapsed {
                moved += try sql.execute(
                    """
                    UPDATE queued_deployment SET state = 'queued', claimed_by = NULL, claimed_until = NULL
                    WHERE id = ? AND state = 'started' AND claimed_by = ?
                      AND NOT EXISTS (SELECT 1 FROM deployment d WHERE d.id = queued_deployment.id)
                    """, [row.string(0), row.string(1)])
            }
            return moved
        }
    }

    /// Calls `wake` soon after any process queues a deployment on this store (PostgreSQL's `LISTEN/NOTIFY`),
    /// and after the listening connection comes back from a loss; nil on SQLite, whose readers poll. The
    /// listening lasts while the returned value is kept.
    public func onQueued(_ wake: @escaping @Sendable () -> Void) -> (any Sendable)? {
        (database as? PostgresDatabase)?.listen(Self.queueChannel, wake: wake)
    }

    /// The channel `onQueued` listens on.
    static let queueChannel = "lander_queue"

    /// Tells the processes listening with `onQueued`, when the transaction commits (PostgreSQL only).
    func notifyQueued(_ sql: any SQLTransaction) throws {
        guard isShared else { return }
        try sql.execute("SELECT pg_notify(?, '')", [Self.queueChannel])
    }

    /// Puts an entry this server took back in the queue, in its old place; false when it was not taken.
    @discardableResult
    public func requeue(_ id: String) throws(StoreError) -> Bool {
        try transaction { sql in
            let moved = try sql.execute(
                """
                UPDATE queued_deployment SET state = 'queued', claimed_by = NULL, claimed_until = NULL
                WHERE id = ? AND state = 'started'
                """, [id])
            if moved > 0 { try notifyQueued(sql) }
            return moved > 0
        }
    }

    /// Deployments a server ran whose server is gone (interrupted), oldest first: what another server
    /// resumes. Phone-home jobs and the children of other deployments are left to their parents.
    public func orphanedDeployments() throws(StoreError) -> [DeploymentRecord] {
        try reading { sql in
            try sql.rows(
                Self.deploymentSelect + """
                     JOIN server s ON s.host = d.host AND s.pid = d.pid
                    WHERE d.status = 'running' AND d.kind != 'job' AND d.parent_id IS NULL ORDER BY d.started_at
                    """, [])
        }.map(record).filter { $0.status == "interrupted" }
    }

    /// The server each running deployment runs on, by deployment id.
    public func serversOfRunningDeployments() throws(StoreError) -> [String: String] {
        let rows = try reading { sql in
            try sql.rows(
                """
                SELECT d.id, s.id FROM deployment d JOIN server s ON s.host = d.host AND s.pid = d.pid
                WHERE d.status = 'running'
                """, [])
        }
        var found: [String: String] = [:]
        for row in rows { found[row.string(0)] = row.string(1) }
        return found
    }
}
