public import Foundation

/// A phone-home grant as the store keeps it: which deployment and target a token's hash belongs to.
public struct StoredGrant: Sendable, Hashable {
    /// The deployment.
    public var deployment: String
    /// The target holding the token.
    public var target: String
    /// The jobs it may ask for.
    public var jobs: [String]
    /// When the deployment ended and the token stopped working.
    public var ended: Date?
}

/// One call home, or a refusal, as the audit keeps it.
public struct CallAudit: Sendable, Hashable, Codable {
    /// When.
    public var at: Date
    /// The deployment the token belongs to (nil: no valid token).
    public var deployment: String?
    /// The target that asked (nil: unknown).
    public var target: String?
    /// The job asked for.
    public var job: String?
    /// The HTTP status given.
    public var status: Int
    /// `called`, `joined`, `refused`, or the job's outcome.
    public var outcome: String
    /// Why, or what happened.
    public var detail: String?
    /// The job's deployment, when one ran.
    public var child: String?

    /// Creates an entry.
    public init(
        deployment: String?, target: String?, job: String?, status: Int, outcome: String, detail: String?,
        child: String? = nil, at: Date = Date()
    ) {
        (self.deployment, self.target, self.job, self.status) = (deployment, target, job, status)
        (self.outcome, self.detail, self.child, self.at) = (outcome, detail, child, at)
    }
}

extension StateStore {
    /// Records the hashes of a deployment's tokens (the tokens themselves are never stored).
    public func recordGrants(_ grants: [(hash: String, target: String, jobs: [String])], deployment: String)
        throws(StoreError)
    {
        try transaction { sql in
            for grant in grants {
                try sql.execute(
                    """
                    INSERT INTO callback_grant (token_hash, deployment_id, target, jobs, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """, [grant.hash, deployment, grant.target, grant.jobs.joined(separator: ","), Self.now])
            }
        }
    }

    /// Ends a deployment's tokens.
    public func endGrants(of deployment: String) throws(StoreError) {
        try transaction { sql in
            try sql.execute(
                "UPDATE callback_grant SET ended_at = ? WHERE deployment_id = ? AND ended_at IS NULL",
                [Self.now, deployment])
        }
    }

    /// The grant of a token's hash, if it was ever given.
    public func grant(hash: String) throws(StoreError) -> StoredGrant? {
        try reading { sql in
            try sql.row("SELECT deployment_id, target, jobs, ended_at FROM callback_grant WHERE token_hash = ?", [hash])
        }.map { row in
            StoredGrant(
                deployment: row.string("deployment_id"), target: row.string("target"),
                jobs: row.string("jobs").split(separator: ",").map(String.init), ended: row.date("ended_at"))
        }
    }

    /// Adds an entry to the call audit.
    public func audit(_ entry: CallAudit) throws(StoreError) {
        try transaction { sql in
            try sql.execute(
                """
                INSERT INTO call_audit (at, deployment_id, target, job, status, outcome, detail, child_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    entry.at.timeIntervalSince1970, entry.deployment, entry.target, entry.job, entry.status,
                    entry.outcome, entry.detail, entry.child,
                ])
        }
    }

    /// The audit of a deployment's calls (all entries, newest last, when `deployment` is nil).
    public func audits(of deployment: String?) throws(StoreError) -> [CallAudit] {
        let query = "SELECT * FROM call_audit" + (deployment == nil ? "" : " WHERE deployment_id = ?") + " ORDER BY id"
        return try reading { sql in try sql.rows(query, deployment.map { [$0] } ?? []) }.map { row in
            CallAudit(
                deployment: row.text("deployment_id"), target: row.text("target"), job: row.text("job"),
                status: row.int("status"), outcome: row.string("outcome"), detail: row.text("detail"),
                child: row.text("child_id"), at: row.time("at"))
        }
    }
}
