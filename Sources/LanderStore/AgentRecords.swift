public import Foundation

/// An enrolled agent as the store keeps it: its name, scope and public key.
public struct AgentRecord: Sendable, Codable {
    /// Its name (what a target's `agent:` names).
    public var name: String
    /// The environment it serves.
    public var environment: String
    /// Its roles there.
    public var roles: [String]
    /// Its public key (P-256, raw representation, base64).
    public var publicKey: String
    /// When it enrolled.
    public var enrolledAt: Date
    /// When it was revoked.
    public var revokedAt: Date?
    /// When a server last heard from it.
    public var lastSeenAt: Date?
}

/// A refusal or event of the agents' audit.
public struct AgentAuditRecord: Sendable, Codable {
    public var at: Date
    public var agent: String?
    /// `enrolled`, `connected`, `refused`.
    public var outcome: String
    public var detail: String
}

/// Why an agent's enrolment or connection is refused (recorded in the audit).
public struct AgentRefusal: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension StateStore {
    /// Keeps a one-time enrolment token (its hash) for an environment and roles, valid for `lifetime`.
    public func createEnrollment(tokenHash: String, environment: String, roles: [String], lifetime: Duration)
        throws(StoreError)
    {
        try transaction { sql in
            try sql.execute(
                """
                INSERT INTO agent_enrollment (token_hash, environment, roles, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?)
                """,
                [
                    tokenHash, environment, roles.joined(separator: ","), StateStore.now,
                    StateStore.now + lifetime.seconds,
                ])
        }
    }

    /// Enrols an agent with a token: once per token, a name no other key holds; the refusal is recorded and
    /// thrown.
    public func enroll(tokenHash: String, name: String, publicKey: String) throws -> AgentRecord {
        let outcome: Result<AgentRecord, AgentRefusal> = try transaction { sql in
            guard let row = try sql.row("SELECT * FROM agent_enrollment WHERE token_hash = ?", [tokenHash]),
                let environment = row.text("environment"), let roles = row.text("roles")
            else {
                return .failure(
                    AgentRefusal("the enrolment token is not known (make one with lander server agent enroll)"))
            }
            if let usedBy = row.text("used_by") {
                return .failure(
                    AgentRefusal(
                        "the enrolment token was already used (by agent '\(usedBy)'); tokens are for one enrolment"))
            }
            if (row.real("expires_at") ?? 0) < StateStore.now {
                return .failure(AgentRefusal("the enrolment token has expired; make a new one"))
            }
            if let other = try sql.row("SELECT public_key, revoked_at FROM agent WHERE name = ?", [name]),
                other.real("revoked_at") == nil || other.text("public_key") != publicKey
            {
                return .failure(
                    AgentRefusal(
                        "an agent named '\(name)' is already enrolled; choose another name or revoke it first"))
            }
            try sql.execute(
                "UPDATE agent_enrollment SET used_by = ?, used_at = ? WHERE token_hash = ?",
                [name, StateStore.now, tokenHash])
            try sql.execute(
                """
                INSERT INTO agent (name, environment, roles, public_key, enrolled_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET environment = excluded.environment, roles = excluded.roles,
                  public_key = excluded.public_key, enrolled_at = excluded.enrolled_at, revoked_at = NULL
                """,
                [name, environment, roles, publicKey, StateStore.now])
            return .success(
                AgentRecord(
                    name: name, environment: environment, roles: roles.split(separator: ",").map(String.init),
                    publicKey: publicKey, enrolledAt: Date(), revokedAt: nil, lastSeenAt: nil))
        }
        switch outcome {
        case .success(let record):
            try audit(
                agent: name, outcome: "enrolled",
                detail: "\(record.environment) as \(record.roles.joined(separator: ","))")
            return record
        case .failure(let refusal):
            try audit(agent: name, outcome: "refused", detail: "enrolment: \(refusal.description)")
            throw refusal
        }
    }

    /// One agent.
    public func agent(_ name: String) throws(StoreError) -> AgentRecord? {
        try reading { sql in try sql.row("SELECT * FROM agent WHERE name = ?", [name]) }.map(Self.agentRecord)
    }

    /// Every agent, by name.
    public func agents() throws(StoreError) -> [AgentRecord] {
        try reading { sql in try sql.rows("SELECT * FROM agent ORDER BY name", []) }.map(Self.agentRecord)
    }

    /// Revokes an agent: it can no longer connect (a server drops its connection). False when unknown.
    public func revokeAgent(_ name: String) throws(StoreError) -> Bool {
        let done = try transaction { sql in
            try sql.execute(
                "UPDATE agent SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", [StateStore.now, name]) > 0
        }
        if done { try audit(agent: name, outcome: "revoked", detail: "revoked") }
        return done
    }

    /// Notes that a server heard from an agent.
    public func agentSeen(_ name: String) throws(StoreError) {
        try transaction { sql in
            try sql.execute("UPDATE agent SET last_seen_at = ? WHERE name = ?", [StateStore.now, name])
        }
    }

    /// Whether a connection's signature is used for the first time by any server of this store (and now
    /// recorded); those older than `forgetAfter` seconds are forgotten (their time is refused by then).
    public func firstUse(ofSignature signature: String, forgetAfter: TimeInterval) throws(StoreError) -> Bool {
        let now = StateStore.now
        return try transaction { sql in
            try sql.execute("DELETE FROM agent_signature WHERE at < ?", [now - forgetAfter])
            return try sql.execute(
                "INSERT INTO agent_signature (signature, at) VALUES (?, ?) ON CONFLICT (signature) DO NOTHING",
                [signature, now]) > 0
        }
    }

    /// Records an agent event or refusal.
    public func audit(agent: String?, outcome: String, detail: String) throws(StoreError) {
        try transaction { sql in
            try sql.execute(
                "INSERT INTO agent_audit (at, agent, outcome, detail) VALUES (?, ?, ?, ?)",
                [StateStore.now, agent, outcome, detail])
        }
    }

    /// The agents' audit, newest first.
    public func agentAudit(limit: Int = 100) throws(StoreError) -> [AgentAuditRecord] {
        try reading { sql in
            try sql.rows("SELECT at, agent, outcome, detail FROM agent_audit ORDER BY id DESC LIMIT ?", [limit])
        }.map { row in
            AgentAuditRecord(
                at: row.date("at") ?? Date(timeIntervalSince1970: 0), agent: row.text("agent"),
                outcome: row.text("outcome") ?? "", detail: row.text("detail") ?? "")
        }
    }

    static func agentRecord(_ row: SQLRow) -> AgentRecord {
        AgentRecord(
            name: row.text("name") ?? "", environment: row.text("environment") ?? "",
            roles: (row.text("roles") ?? "").split(separator: ",").map(String.init),
            publicKey: row.text("public_key") ?? "",
            enrolledAt: row.date("enrolled_at") ?? Date(timeIntervalSince1970: 0),
            revokedAt: row.date("revoked_at"), lastSeenAt: row.date("last_seen_at"))
    }
}
