public import Foundation
import GRDB

/// An event row as subscriptions read it: the envelope's JSON and the deployment it belongs to.
public struct OutboxEvent: Sendable {
    /// The row's id: the order events were committed in.
    public var id: Int64
    /// The deployment (or queue entry) it belongs to.
    public var deployment: String
    /// The row's kind (`started`, `finished`, `step_finished`, `target_state`, …).
    public var kind: String
    /// Its step, task and target, when it has them.
    public var step: String?, task: String?, target: String?
    /// The row's one-line detail.
    public var detail: String?
    /// The envelope's JSON.
    public var payload: String
    /// When it happened.
    public var at: Date
    /// Its place in the deployment's sequence.
    public var sequence: Int
    /// The deployment's project, environment, version, who asked and its parent (from its row or its queue
    /// entry).
    public var project: String?, environment: String?, version: String?, user: String?, parent: String?
}

/// A delivery to be put in the outbox.
public struct NewDelivery: Sendable {
    /// The subscription (or `schedule:NAME`) it belongs to.
    public var subscription: String
    /// `webhook` or `email`.
    public var channel: String
    /// The same for every attempt and every process that makes it: a duplicate is refused.
    public var key: String
    /// What it tells of (`deployment_failed`, `digest`, `group_reached`, `report`).
    public var eventKind: String
    /// The deployment it is about, project and environment.
    public var deployment: String?, project: String?, environment: String?
    /// A mail's subject.
    public var subject: String?
    /// What is sent, secrets masked.
    public var body: String
    /// Not sent before this time.
    public var notBefore: Date
    /// `pending`, or `held` (an item waiting for its digest).
    public var state: String
    /// Checked before sending: a lock wait that ended in time voids it (`lock:NAME`).
    public var condition: String?
    /// A group condition's key: the delivery is made only if this key has not fired yet.
    public var groupKey: String?
    /// Why it is dead from the start (a formatter that failed).
    public var error: String?

    /// Creates a delivery.
    public init(
        subscription: String, channel: String, key: String, eventKind: String, deployment: String? = nil,
        project: String? = nil, environment: String? = nil, subject: String? = nil, body: String,
        notBefore: Date = Date(), state: String = "pending", condition: String? = nil, groupKey: String? = nil
    ) {
        self.subscription = subscription
        self.channel = channel
        self.key = key
        self.eventKind = eventKind
        self.deployment = deployment
        self.project = project
        self.environment = environment
        self.subject = subject
        self.body = body
        self.notBefore = notBefore
        self.state = state
        self.condition = condition
        self.groupKey = groupKey
    }
}

/// A delivery in the outbox, with its attempts.
public struct DeliveryRecord: Sendable, Codable {
    /// Its id (`lander subscriptions replay ID`).
    public var id: Int64
    /// Its subscription, channel, idempotency key and kind.
    public var subscription: String, channel: String, key: String, eventKind: String
    /// The deployment it is about, project and environment.
    public var deployment: String?, project: String?, environment: String?
    /// A mail's subject; the body.
    public var subject: String?, body: String
    /// When it was put in the outbox.
    public var createdAt: Date
    /// `pending`, `held`, `delivered`, `dead`, `void` or `digested`.
    public var state: String
    /// Attempts made.
    public var attempts: Int
    /// When the next attempt is due.
    public var nextAttemptAt: Date
    /// The last attempt's error.
    public var lastError: String?
    /// When it was delivered.
    public var deliveredAt: Date?
    /// See `NewDelivery.condition`.
    public var condition: String?
}

/// How an attempt ended.
public enum DeliveryResult: Sendable {
    /// Delivered.
    case delivered
    /// Failed; tried again at this time.
    case retry(at: Date, error: String)
    /// Failed for good (the last attempt, or a refusal not worth repeating).
    case dead(String)
    /// Not to be sent after all (a lock wait that ended in time).
    case void(String)
}

extension StateStore {
    /// The newest event row's id (0 in an empty store).
    public func lastEventID() throws(StoreError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM event") ?? 0 }
    }

    /// Each subscription's cursor, starting a new subscription at the newest event (it is not sent history).
    public func cursors(for subscriptions: [String]) throws(StoreError) -> [String: Int64] {
        // Read first: an outbox passes every second, and only a subscription new to the store needs a write.
        let known = try read { db in try Self.cursors(db, subscriptions) }
        if known.count == subscriptions.count { return known }
        return try write { db in
            let now = StateStore.now
            for name in subscriptions {
                try db.execute(
                    sql: """
                        INSERT INTO subscription_cursor (subscription, event_id, updated_at)
                        VALUES (?, (SELECT COALESCE(MAX(id), 0) FROM event), ?) ON CONFLICT DO NOTHING
                        """, arguments: [name, now])
            }
            return try Self.cursors(db, subscriptions)
        }
    }

    private static func cursors(_ db: Database, _ subscriptions: [String]) throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT subscription, event_id FROM subscription_cursor") {
            let name: String = row[0]
            if subscriptions.contains(name) { result[name] = row[1] }
        }
        return result
    }

    /// Events after `id`, oldest first, with their deployment's project and environment.
    public func events(after id: Int64, limit: Int = 500) throws(StoreError) -> [OutboxEvent] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.id, e.deployment_id, e.kind, e.step, e.task, e.target, e.detail, e.payload, e.at,
                      COALESCE(e.sequence, 0), COALESCE(d.project, q.project), COALESCE(d.environment, q.environment),
                      d.version, COALESCE(d.user, q.requested_by), d.parent_id
                    FROM event e LEFT JOIN deployment d ON d.id = e.deployment_id
                      LEFT JOIN queued_deployment q ON q.id = e.deployment_id
                    WHERE e.id > ? AND e.payload IS NOT NULL ORDER BY e.id LIMIT ?
                    """, arguments: [id, limit]
            ).map { row in
                OutboxEvent(
                    id: row[0], deployment: row[1], kind: row[2], step: row[3], task: row[4], target: row[5],
                    detail: row[6], payload: row[7], at: Date(timeIntervalSince1970: row[8]), sequence: row[9],
                    project: row[10], environment: row[11], version: row[12], user: row[13], parent: row[14])
            }
        }
    }

    /// Puts deliveries in the outbox and moves cursors forward, in one transaction: a delivery already there
    /// (same key) or a group key that already fired is left alone. Returns how many were added.
    @discardableResult
    public func enqueue(_ deliveries: [NewDelivery], advancing cursors: [String: Int64] = [:]) throws(StoreError)
        -> Int
    {
        try write { db in
            var added = 0
            let now = StateStore.now
            for delivery in deliveries {
                if let group = delivery.groupKey {
                    try db.execute(
                        sql:
                            "INSERT INTO group_fired (subscription, key, fired_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        arguments: [delivery.subscription, group, now])
                    guard db.changesCount > 0 else { continue }
                }
                try db.execute(
                    sql: """
                        INSERT INTO delivery (subscription, channel, idempotency_key, event_kind, deployment_id, project,
                          environment, subject, body, created_at, state, next_attempt_at, condition, last_error)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING
                        """,
                    arguments: [
                        delivery.subscription, delivery.channel, delivery.key, delivery.eventKind, delivery.deployment,
                        delivery.project, delivery.environment, delivery.subject, delivery.body, now, delivery.state,
                        delivery.notBefore.timeIntervalSince1970, delivery.condition, delivery.error,
                    ])
                added += db.changesCount
            }
            for (name, id) in cursors {
                try db.execute(
                    sql:
                        "UPDATE subscription_cursor SET event_id = MAX(event_id, ?), updated_at = ? WHERE subscription = ?",
                    arguments: [id, now, name])
            }
            return added
        }
    }

    /// Claims up to `limit` pending deliveries that are due and not claimed by a live attempt, for `owner`
    /// until `lease` from now: a holder that died lets its claim lapse, and the delivery is tried again.
    public func claimDueDeliveries(owner: String, lease: Duration, limit: Int, now: Date = Date()) throws(StoreError)
        -> [DeliveryRecord]
    {
        let at = now.timeIntervalSince1970
        let due = "state = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)"
        // A read first: most passes find nothing due, and need not take the write lock.
        let any = try read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM delivery WHERE \(due))", arguments: [at, at])
        }
        guard any == true else { return [] }
        return try write { db in
            let rows = try Row.fetchAll(
                db,
                sql: Self.deliverySelect + " WHERE \(due) ORDER BY next_attempt_at, id LIMIT ?",
                arguments: [at, at, limit])
            for row in rows {
                try db.execute(
                    sql: "UPDATE delivery SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                    arguments: [owner, at + lease.seconds, row[0] as Int64])
            }
            return rows.map(Self.delivery)
        }
    }

    /// Claims one pending delivery by its key (to send it now, as `lander subscriptions test` does).
    public func claimDelivery(key: String, owner: String, lease: Duration) throws(StoreError) -> DeliveryRecord? {
        try write { db in
            let at = StateStore.now
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: Self.deliverySelect
                        + " WHERE idempotency_key = ? AND state = 'pending' AND (claimed_until IS NULL OR claimed_until < ?)",
                    arguments: [key, at])
            else { return nil }
            try db.execute(
                sql: "UPDATE delivery SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                arguments: [owner, at + lease.seconds, row[0] as Int64])
            return Self.delivery(row)
        }
    }

    /// Records how an attempt ended, if `owner` still holds the claim (fencing: a holder whose claim lapsed
    /// and passed on records nothing). Returns whether it was recorded.
    @discardableResult
    public func finish(delivery id: Int64, owner: String, _ result: DeliveryResult) throws(StoreError) -> Bool {
        try write { db in
            let now = StateStore.now
            let (state, error, next, delivered): (String, String?, Double?, Double?) =
                switch result {
                case .delivered: ("delivered", nil, nil, now)
                case .retry(let at, let error): ("pending", error, at.timeIntervalSince1970, nil)
                case .dead(let error): ("dead", error, nil, nil)
                case .void(let why): ("void", why, nil, nil)
                }
            let counts = if case .void = result { 0 } else { 1 }
            try db.execute(
                sql: """
                    UPDATE delivery SET state = ?, last_error = COALESCE(?, last_error), attempts = attempts + ?,
                      next_attempt_at = COALESCE(?, next_attempt_at), delivered_at = ?, claimed_by = NULL,
                      claimed_until = NULL
                    WHERE id = ? AND claimed_by = ?
                    """, arguments: [state, error, counts, next, delivered, id, owner])
            return db.changesCount > 0
        }
    }

    /// Deliveries, newest first; `failed`: dead ones and pending ones that have failed at least once.
    public func deliveries(failed: Bool = false, subscription: String? = nil, limit: Int = 50) throws(StoreError)
        -> [DeliveryRecord]
    {
        var conditions = failed ? ["(state = 'dead' OR (state = 'pending' AND attempts > 0))"] : []
        var arguments: [any DatabaseValueConvertible] = []
        if let subscription {
            conditions.append("subscription = ?")
            arguments.append(subscription)
        }
        arguments.append(limit)
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try read { db in
            try Row.fetchAll(
                db, sql: Self.deliverySelect + filter + " ORDER BY id DESC LIMIT ?",
                arguments: StatementArguments(arguments))
        }.map(Self.delivery)
    }

    /// One delivery.
    public func delivery(_ id: Int64) throws(StoreError) -> DeliveryRecord? {
        try read { db in try Row.fetchOne(db, sql: Self.deliverySelect + " WHERE id = ?", arguments: [id]) }.map(
            Self.delivery)
    }

    /// Sends a delivery again (same body, same idempotency key), at once, with a fresh count of attempts.
    public func replay(delivery id: Int64) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE delivery SET state = 'pending', attempts = 0, next_attempt_at = ?, claimed_by = NULL,
                      claimed_until = NULL WHERE id = ? AND state NOT IN ('held', 'digested')
                    """, arguments: [StateStore.now, id])
            return db.changesCount > 0
        }
    }

    /// When the soonest pending delivery can next be tried (nil when none is pending): its due time, or when
    /// the claim of the process trying it now lapses.
    public func nextPendingDelivery() throws(StoreError) -> Date? {
        try read { db in
            try Double.fetchOne(
                db,
                sql:
                    "SELECT MIN(MAX(next_attempt_at, COALESCE(claimed_until, 0))) FROM delivery WHERE state = 'pending'"
            )
        }.map(Date.init(timeIntervalSince1970:))
    }

    /// A subscription's items held for its digest, oldest first.
    public func heldDeliveries(subscription: String) throws(StoreError) -> [DeliveryRecord] {
        try read { db in
            try Row.fetchAll(
                db, sql: Self.deliverySelect + " WHERE subscription = ? AND state = 'held' ORDER BY id",
                arguments: [subscription])
        }.map(Self.delivery)
    }

    /// Replaces held items with their digest, in one transaction (the digest's key makes it once only).
    public func digest(_ items: [Int64], into delivery: NewDelivery) throws(StoreError) {
        try write { db in
            for id in items {
                try db.execute(
                    sql: "UPDATE delivery SET state = 'digested', delivered_at = ? WHERE id = ? AND state = 'held'",
                    arguments: [StateStore.now, id])
            }
        }
        try enqueue([delivery])
    }

    /// Whether `deployment` still waits for lock `name` (a claim of its that does not hold).
    public func stillWaiting(deployment: String, lock name: String) throws(StoreError) -> Bool {
        try read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM lock_claim WHERE deployment_id = ? AND name = ? AND holding = 0
                      AND expires_at > ?)
                    """, arguments: [deployment, name, StateStore.now]) ?? false
        }
    }

    static let deliverySelect = """
        SELECT id, subscription, channel, idempotency_key, event_kind, deployment_id, project, environment, subject,
          body, created_at, state, attempts, next_attempt_at, last_error, delivered_at, condition FROM delivery
        """

    static func delivery(_ row: Row) -> DeliveryRecord {
        DeliveryRecord(
            id: row[0], subscription: row[1], channel: row[2], key: row[3], eventKind: row[4], deployment: row[5],
            project: row[6], environment: row[7], subject: row[8], body: row[9],
            createdAt: Date(timeIntervalSince1970: row[10]), state: row[11], attempts: row[12],
            nextAttemptAt: Date(timeIntervalSince1970: row[13]), lastError: row[14],
            deliveredAt: (row[15] as Double?).map(Date.init(timeIntervalSince1970:)), condition: row[16])
    }
}
