public import Foundation
import LanderEngine

/// An API token as the store keeps it: its hash, who it is for and what it may do.
public struct APITokenRecord: Sendable, Hashable, Codable {
    /// A short id, shown in lists and recorded with every change made with it.
    public var id: String
    /// A name for people (`ci`, `ana`).
    public var name: String
    /// `viewer`, `deployer` or `admin`.
    public var role: String
    /// The only project it may act on (nil: all).
    public var project: String?
    /// The only environment it may act on (nil: all).
    public var environment: String?
    /// When it was made.
    public var createdAt: Date
    /// When it was revoked.
    public var revokedAt: Date?

    /// Creates a record.
    public init(
        id: String, name: String, role: String, project: String?, environment: String?, createdAt: Date,
        revokedAt: Date?
    ) {
        (self.id, self.name, self.role, self.project) = (id, name, role, project)
        (self.environment, self.createdAt, self.revokedAt) = (environment, createdAt, revokedAt)
    }
}

/// A deployment asked of a server, waiting for a free slot (or started, or refused when it started).
public struct QueuedDeployment: Sendable, Hashable, Codable {
    /// The deployment's id, given when it was queued.
    public var id: String
    /// The request as JSON (the server's own encoding).
    public var request: String
    /// Its project and environment.
    public var project: String, environment: String
    /// Who asked (a token's name and id).
    public var requestedBy: String
    /// When.
    public var queuedAt: Date
    /// `queued`, `started` or `refused`.
    public var state: String
    /// Why it was refused.
    public var detail: String?

    /// Creates an entry.
    public init(
        id: String, request: String, project: String, environment: String, requestedBy: String, queuedAt: Date,
        state: String = "queued", detail: String? = nil
    ) {
        (self.id, self.request, self.project, self.environment) = (id, request, project, environment)
        (self.requestedBy, self.queuedAt, self.state, self.detail) = (requestedBy, queuedAt, state, detail)
    }
}

extension StateStore {
    /// Records a token by its hash.
    public func addToken(_ token: APITokenRecord, hash: String) throws(StoreError) {
        try transaction { sql in
            try sql.execute(
                """
                INSERT INTO api_token (id, token_hash, name, role, project, environment, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    token.id, hash, token.name, token.role, token.project, token.environment,
                    token.createdAt.timeIntervalSince1970,
                ])
        }
    }

    /// The token with this hash, revoked or not.
    public func token(hash: String) throws(StoreError) -> APITokenRecord? {
        try reading { sql in try sql.row("SELECT * FROM api_token WHERE token_hash = ?", [hash]) }.map(Self.token)
    }

    /// Every token, oldest first.
    public func tokens() throws(StoreError) -> [APITokenRecord] {
        try reading { sql in try sql.rows("SELECT * FROM api_token ORDER BY created_at", []) }.map(Self.token)
    }

    /// Revokes a token by id or name; false when none matched.
    public func revokeToken(_ idOrName: String) throws(StoreError) -> Bool {
        try transaction { sql in
            try sql.execute(
                "UPDATE api_token SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL",
                [Self.now, idOrName, idOrName]) > 0
        }
    }

    private static func token(_ row: SQLRow) -> APITokenRecord {
        APITokenRecord(
            id: row.string("id"), name: row.string("name"), role: row.string("role"), project: row.text("project"),
            environment: row.text("environment"), createdAt: row.time("created_at"), revokedAt: row.date("revoked_at"))
    }

    /// Puts a deployment in the queue, with its `deployment_queued` event (what subscriptions hear of).
    public func enqueue(_ entry: QueuedDeployment, version: String? = nil) throws(StoreError) {
        let envelope = EventEnvelope(
            deployment: entry.id, sequence: 0, time: entry.queuedAt,
            event: .deploymentQueued(
                project: entry.project, environment: entry.environment, version: version,
                requestedBy: entry.requestedBy))
        let row = EventRow(envelope.event)
        try transaction { sql in
            try sql.execute(
                "INSERT INTO event (deployment_id, at, kind, detail, sequence, payload) VALUES (?, ?, ?, ?, 0, ?)",
                [entry.id, entry.queuedAt.timeIntervalSince1970, row?.kind, row?.detail, envelope.json])
            try sql.execute(
                """
                INSERT INTO queued_deployment (id, request, project, environment, requested_by, queued_at, state)
                VALUES (?, ?, ?, ?, ?, ?, 'queued')
                """,
                [
                    entry.id, entry.request, entry.project, entry.environment, entry.requestedBy,
                    entry.queuedAt.timeIntervalSince1970,
                ])
            try notifyQueued(sql)
        }
    }

    /// The queue's waiting entries, oldest first.
    public func queued() throws(StoreError) -> [QueuedDeployment] {
        try reading { sql in
            try sql.rows("SELECT * FROM queued_deployment WHERE state = 'queued' ORDER BY queued_at, rowid", [])
        }.map(Self.queued)
    }

    /// One queue entry by id.
    public func queuedDeployment(_ id: String) throws(StoreError) -> QueuedDeployment? {
        try reading { sql in try sql.row("SELECT * FROM queued_deployment WHERE id = ?", [id]) }.map(Self.queued)
    }

    /// Marks a queue entry started or refused (with why); false when it was no longer queued.
    public func dequeue(_ id: String, state: String, detail: String? = nil) throws(StoreError) -> Bool {
        try transaction { sql in
            try sql.execute(
                "UPDATE queued_deployment SET state = ?, detail = ? WHERE id = ? AND state = 'queued'",
                [state, detail, id])
                > 0
        }
    }

    /// Marks a started entry refused: its deployment could not start (a broken project, a refusal).
    public func refuseQueued(_ id: String, detail: String) throws(StoreError) {
        try transaction { sql in
            try sql.execute("UPDATE queued_deployment SET state = 'refused', detail = ? WHERE id = ?", [detail, id])
        }
    }

    static func queued(_ row: SQLRow) -> QueuedDeployment {
        QueuedDeployment(
            id: row.string("id"), request: row.string("request"), project: row.string("project"),
            environment: row.string("environment"), requestedBy: row.string("requested_by"),
            queuedAt: row.time("queued_at"), state: row.string("state"), detail: row.text("detail"))
    }

    /// The JSON payloads of a deployment's events after a sequence number, in order: what a client that
    /// saw up to `after` missed.
    public func eventPayloads(of deployment: String, after: Int = 0) throws(StoreError) -> [(
        sequence: Int, json: String
    )] {
        try reading { sql in
            try sql.rows(
                """
                SELECT sequence, payload FROM event WHERE deployment_id = ? AND sequence > ? AND payload IS NOT NULL
                UNION ALL
                SELECT sequence, payload FROM log_line
                  WHERE deployment_id = ? AND sequence > ? AND payload IS NOT NULL
                ORDER BY sequence
                """, [deployment, after, deployment, after])
        }.map { row in (row.int(0), row.string(1)) }
    }
}
