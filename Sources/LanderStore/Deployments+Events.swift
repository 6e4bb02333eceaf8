public import Foundation

/// A step that did not run, or a hook that ran, as `lander show` lists them.
public struct StepNote: Sendable, Codable {
    public var at: Date
    /// `step_skipped`, `hook_finished` or `rollout_finished`.
    public var kind: String
    public var step: String?
    /// The reason a step was skipped; `POINT HOOK: ok` or its error; a rollout's summary.
    public var detail: String
}

extension StateStore {
    /// Its rolling steps' transitions, in the order they happened.
    public func rollout(of id: String) throws(StoreError) -> [RolloutRecord] {
        try reading { sql in
            try sql.rows(
                """
                SELECT at, step, target, detail FROM event WHERE deployment_id = ? AND kind = 'target_state'
                ORDER BY id
                """, [id])
        }.map { row in
            let text = row.string("detail")
            let parts = text.split(separator: ":", maxSplits: 1)
            return RolloutRecord(
                at: row.time("at"), step: row.string("step"), target: row.string("target"),
                state: parts.first.map(String.init) ?? "",
                detail: parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : nil)
        }
    }

    /// Its log, optionally of one target or step.
    public func logs(of id: String, target: String? = nil, step: String? = nil) throws(StoreError) -> [LogRecord] {
        try reading { sql in
            try sql.rows(
                """
                SELECT at, step, task, target, stream, line FROM log_line WHERE deployment_id = ?
                  AND (? IS NULL OR target = ?) AND (? IS NULL OR step = ?) ORDER BY id
                """, [id, target, target, step, step])
        }.map(Self.logRecord)
    }

    /// The steps it skipped, the hooks it ran and how its rollouts ended, in the order they happened.
    public func notes(of id: String) throws(StoreError) -> [StepNote] {
        try reading { sql in
            try sql.rows(
                """
                SELECT at, kind, step, detail FROM event WHERE deployment_id = ?
                  AND kind IN ('step_skipped', 'hook_finished', 'rollout_finished') ORDER BY id
                """, [id])
        }.map { row in
            StepNote(at: row.time("at"), kind: row.string("kind"), step: row.text("step"), detail: row.string("detail"))
        }
    }

    /// Targets that rollouts of a project and environment took out of the pool and never put back: each
    /// target's last recorded rollout state is neither `in_pool` nor one that leaves it untouched
    /// (`prechecking`, `skipped`). The value says by which deployment and how.
    public func leftOutOfPool(project: String, environment: String) throws(StoreError) -> [String: String] {
        let rows = try reading { sql in
            try sql.rows(
                """
                SELECT e.target, e.detail, e.deployment_id FROM event e
                WHERE e.id IN (
                  SELECT MAX(e2.id) FROM event e2 JOIN deployment d ON d.id = e2.deployment_id
                  WHERE d.project = ? AND d.environment = ? AND e2.kind = 'target_state' GROUP BY e2.target)
                """, [project, environment])
        }
        var out: [String: String] = [:]
        for row in rows {
            guard let target = row.text("target"), let detail = row.text("detail") else { continue }
            let state = String(detail.prefix { $0 != ":" })
            guard !["in_pool", "prechecking", "skipped"].contains(state) else { continue }
            out[target] = "deployment \(row.string("deployment_id")) (\(detail))"
        }
        return out
    }

    /// The step a running deployment is in now: the newest started that has not finished.
    public func currentStep(of deployment: String) throws(StoreError) -> String? {
        try reading { sql in
            try sql.row(
                """
                SELECT s.step FROM event s WHERE s.deployment_id = ? AND s.kind = 'step_started'
                  AND NOT EXISTS (SELECT 1 FROM event f WHERE f.deployment_id = s.deployment_id
                    AND f.kind = 'step_finished' AND f.step = s.step AND f.id > s.id)
                ORDER BY s.id DESC LIMIT 1
                """, [deployment])?.text(0)
        }
    }

    /// What a deployment waits for now (another project's milestone), while the waiting task has not ended.
    public func waitingFor(in deployment: String) throws(StoreError) -> String? {
        try reading { sql in
            try sql.row(
                """
                SELECT w.detail FROM event w WHERE w.deployment_id = ? AND w.kind = 'waiting'
                  AND NOT EXISTS (SELECT 1 FROM event f WHERE f.deployment_id = w.deployment_id
                    AND f.kind = 'target_finished' AND f.step = w.step AND f.task = w.task AND f.id > w.id)
                ORDER BY w.id DESC LIMIT 1
                """, [deployment])?.text(0)
        }
    }
}

/// The end of a deployment's log as one read saw it, with the sequence number of its last event: a
/// follower that goes on from that number misses and doubles nothing.
public struct LogTail: Sendable {
    /// The newest lines, oldest first.
    public var lines: [LogRecord]
    /// How many lines the log has in all.
    public var total: Int
    /// The sequence number of the newest event or line stored.
    public var lastSequence: Int
}

extension StateStore {
    /// The sequence number of a deployment's newest event or log line (0 before any).
    static func lastSequence(of id: String, in sql: any SQLTransaction) throws -> Int {
        Int(
            try sql.integer(
                """
                SELECT MAX(s) FROM (SELECT MAX(sequence) AS s FROM event WHERE deployment_id = ?
                  UNION ALL SELECT MAX(sequence) FROM log_line WHERE deployment_id = ?) AS sequences
                """, [id, id]) ?? 0)
    }

    /// A row of `at, step, task, target, stream, line`.
    static func logRecord(_ row: SQLRow) -> LogRecord {
        LogRecord(
            at: row.time(0), step: row.text(1), task: row.text(2), target: row.text(3), stream: row.string(4),
            line: row.string(5))
    }

    /// A deployment's newest `limit` log lines and the sequence they reach, read at one moment.
    public func logTail(of id: String, limit: Int) throws(StoreError) -> LogTail {
        try reading { sql in
            let rows = try sql.rows(
                """
                SELECT at, step, task, target, stream, line FROM log_line WHERE deployment_id = ?
                ORDER BY id DESC LIMIT ?
                """, [id, limit])
            let total = try sql.integer("SELECT count(*) FROM log_line WHERE deployment_id = ?", [id])
            let last = try Self.lastSequence(of: id, in: sql)
            return LogTail(lines: rows.reversed().map(Self.logRecord), total: Int(total ?? 0), lastSequence: last)
        }
    }
}

/// A milestone a deployment reached (`step:NAME` for each step that succeeded, a step's `milestone:`,
/// `ctx.milestone(name)`).
public struct MilestoneRecord: Sendable, Codable {
    public var name: String
    /// The step that reached it.
    public var step: String?
    public var at: Date
}

extension StateStore {
    /// The milestones a deployment reached, in order.
    public func milestones(of id: String) throws(StoreError) -> [MilestoneRecord] {
        try reading { sql in
            try sql.rows(
                "SELECT detail, step, at FROM event WHERE deployment_id = ? AND kind = 'milestone' ORDER BY id", [id])
        }.map { row in MilestoneRecord(name: row.string(0), step: row.text(1), at: row.time(2)) }
    }
}
