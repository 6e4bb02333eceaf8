public import Foundation

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
        try reading { sql in try sql.integer("SELECT COALESCE(MAX(id), 0) FROM event") ?? 0 }
    }

    /// Each subscription's cursor, starting a new subscription at the newest event (it is not sent history).
    public func cursors(for subscriptions: [String]) throws(StoreError) -> [String: Int64] {
        // Read first: an outbox passes every second, and only a subscription new to the store needs a write.
        let known = try reading { sql in try Self.cursors(sql, subscriptions) }
        if known.count == subscriptions.count { return known }
        return try transaction { sql in
            let now = StateStore.now
            for name in subscriptions {
                try sql.execute(
                    """
                    INSERT INTO subscription_cursor (subscription, event_id, updated_at)
                    VALUES (?, (SELECT COALESCE(MAX(id), 0) FROM event), ?) ON CONFLICT DO NOTHING
                    """, [name, now])
            }
            return try Self.cursors(sql, subscriptions)
        }
    }

    private static func cursors(_ sql: any SQLTransaction, _ subscriptions: [String]) throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for row in try sql.rows("SELECT subscription, event_id FROM subscription_cursor", []) {
            let name = row.string(0)
            if subscriptions.contains(name) { result[name] = row.integer(1) ?? 0 }
        }
        return result
    }

    /// Events after `id`, oldest first, with their deployment's project and environment.
    public func events(after id: Int64, limit: Int = 500) throws(StoreError) -> [OutboxEvent] {
        try reading { sql in
            try sql.rows(
                """
                SELECT e.id, e.deployment_id, e.kind, e.step, e.task, e.target, e.detail, e.payload, e.at,
                  COALESCE(e.sequence, 0), COALESCE(d.project, q.project), COALESCE(d.environment, q.environment),
                  d.version, COALESCE(d."user", q.requested_by), d.parent_id
                FROM event e LEFT JOIN deployment d ON d.id = e.deployment_id
                  LEFT JOIN queued_deployment q ON q.id = e.deployment_id
                WHERE e.id > ? AND e.payload IS NOT NULL ORDER BY e.id LIMIT ?
                """, [id, limit])
        }.map { row in
            OutboxEvent(
                id: row.integer(0) ?? 0, deployment: row.string(1), kind: row.string(2), step: row.text(3),
                task: row.text(4), target: row.text(5), detail: row.text(6), payload: row.string(7), at: row.time(8),
                sequence: row.int(9), project: row.text(10), environment: row.text(11), version: row.text(12),
                user: row.text(13), parent: row.text(14))
        }
    }

    /// Puts deliveries in the outbox and moves cursors forward, in one transaction: a delivery already there
    /// (same key) or a group key that already fired is left alone. Returns how many were added.
    @discardableResult
    public func enqueue(_ deliveries: [NewDelivery], advancing cursors: [String: Int64] = [:]) throws(StoreError)
        -> Int
    {
        try transaction { sql in
            var added = 0
            let now = StateStore.now
            for delivery in deliveries {
                if let group = delivery.groupKey {
                    let fired = try sql.execute(
                        "INSERT INTO group_fired (subscription, key, fired_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        [delivery.subscription, group, now])
                    guard fired > 0 else { continue }
                }
                added += try sql.execute(
                    """
                    INSERT INTO delivery (subscription, channel, idempotency_key, event_kind, deployment_id, project,
                      environment, subject, body, created_at, state, next_attempt_at, condition, last_error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING
                    """,
                    [
                        delivery.subscription, delivery.channel, delivery.key, delivery.eventKind, delivery.deployment,
                        delivery.project, delivery.environment, delivery.subject, delivery.body, now, delivery.state,
                        delivery.notBefore.timeIntervalSince1970, delivery.condition, delivery.error,
                    ])
            }
            for (name, id) in cursors {
                try sql.execute(
                    """
                    UPDATE subscription_cursor SET event_id = CASE WHEN event_id > ? THEN event_id ELSE ? END,
                      updated_at = ? WHERE subscription = ?
                    """, [id, id, now, name])
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
        let any = try reading { sql in
            try sql.integer("SELECT EXISTS (SELECT 1 FROM delivery WHERE \(due))", [at, at])
        }
        guard any == 1 else { return [] }
        return try transaction { sql in
            let rows = try sql.rows(
                Self.deliverySelect + " WHERE \(due) ORDER BY next_attempt_at, id LIMIT ?", [at, at, limit])
            for row in rows {
                try sql.execute(
                    "UPDATE delivery SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                    [owner, at + lease.seconds, row.integer(0)])
            }
            return rows.map(Self.delivery)
        }
    }

    /// Claims one pending delivery by its key (to send it now, as `lander subscriptions test` does).
    public func claimDelivery(key: String, owner: String, lease: Duration) throws(StoreError) -> DeliveryRecord? {
        try transaction { sql in
            let at = StateStore.now
            guard
                let row = try sql.row(
                    Self.deliverySelect
                        + " WHERE idempotency_key = ? AND state = 'pending' AND (claimed_until IS NULL OR claimed_until < ?)",
                    [key, at])
            else { return nil }
            try sql.execute(
                "UPDATE delivery SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                [owner, at + lease.seconds, row.integer(0)])
            return Self.delivery(row)
        }
    }

    /// Records how an attempt ended, if `owner` still holds the claim (fencing: a holder whose claim lapsed
    /// and passed on records nothing). Returns whether it was recorded.
    @discardableResult
    public func finish(delivery id: Int64, owner: String, _ result: DeliveryResult) throws(StoreError) -> Bool {
        try transaction { sql in
            let now = StateStore.now
            let (state, error, next, delivered): (String, String?, Double?, Double?) =
                switch result {
                case .delivered: ("delivered", nil, nil, now)
                case .retry(let at, let error): ("pending", error, at.timeIntervalSince1970, nil)
                case .dead(let error): ("dead", error, nil, nil)
                case .void(let why): ("void", why, nil, nil)
                }
            let counts = if case .void = result { 0 } else { 1 }
            return try sql.execute(
                """
                UPDATE delivery SET state = ?, last_error = COALESCE(?, last_error), attempts = attempts + ?,
                  next_attempt_at = COALESCE(?, next_attempt_at), delivered_at = ?, claimed_by = NULL,
                  claimed_until = NULL
                WHERE id = ? AND claimed_by = ?
                """, [state, error, counts, next, delivered, id, owner]) > 0
        }
    }

    /// Deliveries, newest first; `failed`: dead ones and pending ones that have failed at least once.
    public func deliveries(failed: Bool = false, subscription: String? = nil, limit: Int = 50) throws(StoreError)
        -> [DeliveryRecord]
    {
        var conditions = failed ? ["(state = 'dead' OR (state = 'pending' AND attempts > 0))"] : []
        var arguments: [any SQLBindable] = []
        if let subscription {
            conditions.append("subscription = ?")
            arguments.append(subscription)
        }
        arguments.append(limit)
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try reading { sql in
            try sql.rows(Self.deliverySelect + filter + " ORDER BY id DESC LIMIT ?", arguments)
        }.map(Self.delivery)
    }

    /// One delivery.
    public func delivery(_ id: Int64) throws(StoreError) -> DeliveryRecord? {
        try reading { sql in try sql.row(Self.deliverySelect + " WHERE id = ?", [id]) }.map(Self.delivery)
    }

    /// Sends a delivery again (same body, same idempotency key), at once, with a fresh count of attempts.
    public func replay(delivery id: Int64) throws(StoreError) -> Bool {
        try transaction { sql in
            try sql.execute(
                """
                UPDATE delivery SET state = 'pending', attempts = 0, next_attempt_at = ?, claimed_by = NULL,
                  claimed_until = NULL WHERE id = ? AND state NOT IN ('held', 'digested')
                """, [StateStore.now, id]) > 0
        }
    }

    /// When the soonest pending delivery can next be tried (nil when none is pending): its due time, or when
    /// the claim of the process trying it now lapses.
    public func nextPendingDelivery() throws(StoreError) -> Date? {
        try reading { sql in
            try sql.row(
                """
                SELECT MIN(CASE WHEN next_attempt_at > COALESCE(claimed_until, 0) THEN next_attempt_at
                  ELSE COALESCE(claimed_until, 0) END) FROM delivery WHERE state = 'pending'
                """)?.date(0)
        }
    }

    /// A subscription's items held for its digest, oldest first.
    public func heldDeliveries(subscription: String) throws(StoreError) -> [DeliveryRecord] {
        try reading { sql in
            try sql.rows(Self.deliverySelect + " WHERE subscription = ? AND state = 'held' ORDER BY id", [subscription])
        }.map(Self.delivery)
    }

    /// Replaces held items with their digest, in one transaction (the digest's key makes it once only).
    public func digest(_ items: [Int64], into delivery: NewDelivery) throws(StoreError) {
        try transaction { sql in
            for id in items {
                try sql.execute(
                    "UPDATE delivery SET state = 'digested', delivered_at = ? WHERE id = ? AND state = 'held'",
                    [StateStore.now, id])
            }
        }
        try enqueue([delivery])
    }

    /// Whether `deployment` still waits for lock `name` (a claim of its that does not hold).
    public func stillWaiting(deployment: String, lock name: String) throws(StoreError) -> Bool {
        try reading { sql in
            try sql.integer(
                """
                SELECT EXISTS (SELECT 1 FROM lock_claim WHERE deployment_id = ? AND name = ? AND holding = 0
                  AND expires_at > ?)
                """, [deployment, name, StateStore.now]) == 1
        }
    }

    static let deliverySelect = """
        SELECT id, subscription, channel, idempotency_key, event_kind, deployment_id, project, environment, subject,
          body, created_at, state, attempts, next_attempt_at, last_error, delivered_at, condition FROM delivery
        """

    static func delivery(_ row: SQLRow) -> DeliveryRecord {
        DeliveryRecord(
            id: row.integer(0) ?? 0, subscription: row.string(1), channel: row.string(2), key: row.string(3),
            eventKind: row.string(4), deployment: row.text(5), project: row.text(6), environment: row.text(7),
            subject: row.text(8), body: row.string(9), createdAt: row.time(10), state: row.string(11),
            attempts: row.int(12), nextAttemptAt: row.time(13), lastError: row.text(14), deliveredAt: row.date(15),
            condition: row.text(16))
    }
}
