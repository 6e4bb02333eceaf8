public import Foundation
import GRDB

/// One due time of a schedule and what became of it.
public struct ScheduleRunRecord: Sendable, Codable {
    /// The schedule.
    public var schedule: String
    /// The due time it is for.
    public var dueAt: Date
    /// Who claimed it (`host:pid`), and when.
    public var claimedBy: String
    /// When it was claimed.
    public var claimedAt: Date
    /// When it ended.
    public var finishedAt: Date?
    /// `running`, `succeeded`, `failed`, `missed` (beyond its grace when first seen) or `interrupted`
    /// (its claimant died while it ran).
    public var outcome: String
    /// What it did or why it failed.
    public var detail: String?
    /// The deployment it started, when it started one.
    public var deployment: String?
}

extension StateStore {
    /// Claims a schedule's due time: true for the one process whose row went in, false for every other.
    /// `outcome` is `running` for a run about to happen, `missed` for one beyond its grace.
    public func claim(schedule: String, dueAt: Date, outcome: String = "running", detail: String? = nil)
        throws(StoreError) -> Bool
    {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO schedule_run (schedule, due_at, claimed_by, host, pid, claimed_at, outcome, detail)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (schedule, due_at) DO NOTHING
                    """,
                arguments: [
                    schedule, dueAt.timeIntervalSince1970, "\(host):\(getpid())", host, Int64(getpid()),
                    StateStore.now, outcome, detail,
                ])
            return db.changesCount > 0
        }
    }

    /// Records how a claimed run ended.
    public func finish(schedule: String, dueAt: Date, outcome: String, detail: String?, deployment: String?)
        throws(StoreError)
    {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE schedule_run SET outcome = ?, detail = ?, deployment_id = ?, finished_at = ?
                    WHERE schedule = ? AND due_at = ?
                    """,
                arguments: [outcome, detail, deployment, StateStore.now, schedule, dueAt.timeIntervalSince1970])
        }
    }

    /// A schedule's runs, newest due time first; a run whose claimant is gone reads `interrupted`.
    public func scheduleRuns(_ schedule: String, limit: Int = 20) throws(StoreError) -> [ScheduleRunRecord] {
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT schedule, due_at, claimed_by, claimed_at, finished_at, outcome, detail, deployment_id, host,
                      pid FROM schedule_run WHERE schedule = ? ORDER BY due_at DESC LIMIT ?
                    """, arguments: [schedule, limit])
        }
        return rows.map { row in
            var outcome: String = row[5]
            if outcome == "running", isGone(pid: row[9], host: row[8]) { outcome = "interrupted" }
            return ScheduleRunRecord(
                schedule: row[0], dueAt: Date(timeIntervalSince1970: row[1]), claimedBy: row[2],
                claimedAt: Date(timeIntervalSince1970: row[3]),
                finishedAt: (row[4] as Double?).map(Date.init(timeIntervalSince1970:)), outcome: outcome,
                detail: row[6], deployment: row[7])
        }
    }
}
