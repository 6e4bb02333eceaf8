public import Foundation
import GRDB

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
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO agent_enrollment (token_hash, environment, roles, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    tokenHash, environment, roles.joined(separator: ","), StateStore.now,
                    StateStore.now + lifetime.seconds,
                ])
        }
    }

    /// Enrols an agent with a token: once per token, a name no other key holds; the refusal is recorded and
    /// thrown.
    public func enroll(tokenHash: String, name: String, publicKey: String) throws -> AgentRecord {
        let outcome: Result<AgentRecord, AgentRefusal> = try write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM agent_enrollment WHERE token_hash = ?", arguments: [tokenHash])
            else {
                return .failure(
                    AgentRefusal("the enrolment token is not known (make one with lander server agent enroll)"))
            }
            if let usedBy: String = row["used_by"] {
                return .failure(
                    AgentRefusal(
                        "the enrolment token was already used (by agent '\(usedBy)'); tokens are for one enrolment"))
            }
            if (row["expires_at"] as Double) < StateStore.now {
                return .failure(AgentRefusal("the enrolment token has expired; make a new one"))
            }
            if let other = try Row.fetchOne(
                db, sql: "SELECT public_key, revoked_at FROM agent WHERE name = ?", arguments: [name])
            {
                let revoked = (other["revoked_at"] as Double?) != nil
                if !revoked || (other["public_key"] as String) != publicKey {
                    return .failure(
                        AgentRefusal(
                            "an agent named '\(name)' is already enrolled; choose another name or revoke it first"))
                }
            }
            try db.execute(
                sql: "UPDATE agent_enrollment SET used_by = ?, used_at = ? WHERE token_hash = ?",
                arguments: [name, StateStore.now, tokenHash])
            try db.execute(
                sql: """
                    INSERT INTO agent (name, environment, roles, public_key, enrolled_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET environment = excluded.environment, roles = excluded.roles,
                      public_key = excluded.public_key, enrolled_at = excluded.enrolled_at, revoked_at = NULL
                    """,
                arguments: [name, row["environment"] as String, row["roles"] as String, publicKey, StateStore.now])
            return .success(
                AgentRecord(
                    name: name, environment: row["environment"],
                    roles: (row["roles"] as String).split(separator: ",").map(String.init), publicKey: publicKey,
                    enrolledAt: Date(), revokedAt: nil, lastSeenAt: nil))
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
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM agent WHERE name = ?", arguments: [name]) }.map(
            Self.agentRecord)
    }

    /// Every agent, by name.
    public func agents() throws(StoreError) -> [AgentRecord] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM agent ORDER BY name") }.map(Self.agentRecord)
    }

    /// Revokes an agent: it can no longer connect (a server drops its connection). False when unknown.
    public func revokeAgent(_ name: String) throws(StoreError) -> Bool {
        let done = try write { db in
            try db.execute(
                sql: "UPDATE agent SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                arguments: [StateStore.now, name])
            return db.changesCount > 0
        }
        if done { try audit(agent: name, outcome: "revoked", detail: "revoked") }
        return done
    }

    /// Notes that a server heard from an agent.
    public func agentSeen(_ name: String) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE agent SET last_seen_at = ? WHERE name = ?", arguments: [StateStore.now, name])
        }
    }

    /// Records an agent event or refusal.
    public func audit(agent: String?, outcome: String, detail: String) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: "INSERT INTO agent_audit (at, agent, outcome, detail) VALUES (?, ?, ?, ?)",
                arguments: [StateStore.now, agent, outcome, detail])
        }
    }

    /// The agents' audit, newest first.
    public func agentAudit(limit: Int = 100) throws(StoreError) -> [AgentAuditRecord] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT at, agent, outcome, detail FROM agent_audit ORDER BY id DESC LIMIT ?",
                arguments: [limit])
        }.map { row in
            AgentAuditRecord(at: Date(timeIntervalSince1970: row[0]), agent: row[1], outcome: row[2], detail: row[3])
        }
    }

    static func agentRecord(_ row: Row) -> AgentRecord {
        AgentRecord(
            name: row["name"], environment: row["environment"],
            roles: (row["roles"] as String).split(separator: ",").map(String.init), publicKey: row["public_key"],
            enrolledAt: Date(timeIntervalSince1970: row["enrolled_at"]),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            lastSeenAt: (row["last_seen_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
