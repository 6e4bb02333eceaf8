public import Foundation

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
        try transaction { sql in
            try sql.execute(
                """
                INSERT INTO schedule_run (schedule, due_at, claimed_by, host, pid, claimed_at, outcome, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (schedule, due_at) DO NOTHING
                """,
                [
                    schedule, dueAt.timeIntervalSince1970, "\(host):\(getpid())", host, Int64(getpid()),
                    StateStore.now, outcome, detail,
                ]) > 0
        }
    }

    /// Records how a claimed run ended.
    public func finish(schedule: String, dueAt: Date, outcome: String, detail: String?, deployment: String?)
        throws(StoreError)
    {
        try transaction { sql in
            try sql.execute(
                """
                UPDATE schedule_run SET outcome = ?, detail = ?, deployment_id = ?, finished_at = ?
                WHERE schedule = ? AND due_at = ?
                """, [outcome, detail, deployment, StateStore.now, schedule, dueAt.timeIntervalSince1970])
        }
    }

    /// A schedule's runs, newest due time first; a run whose claimant is gone reads `interrupted`.
    public func scheduleRuns(_ schedule: String, limit: Int = 20) throws(StoreError) -> [ScheduleRunRecord] {
        let rows = try reading { sql in
            try sql.rows(
                """
                SELECT schedule, due_at, claimed_by, claimed_at, finished_at, outcome, detail, deployment_id, host,
                  pid FROM schedule_run WHERE schedule = ? ORDER BY due_at DESC LIMIT ?
                """, [schedule, limit])
        }
        return rows.map { row in
            var outcome = row.string(5)
            if outcome == "running", isGone(pid: row.integer(9) ?? 0, host: row.string(8)) { outcome = "interrupted" }
            return ScheduleRunRecord(
                schedule: row.string(0), dueAt: row.time(1), claimedBy: row.string(2), claimedAt: row.time(3),
                finishedAt: row.date(4), outcome: outcome, detail: row.text(6), deployment: row.text(7))
        }
    }
}
