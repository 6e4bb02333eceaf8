import Foundation
public import LanderEngine
import LanderModel

extension StateStore {
    /// What an interrupted or cancelled deployment already finished: succeeded and tolerated target-steps
    /// with their outputs. Failed, cancelled, skipped (a skip is decided again: a cancelled rollout skipped
    /// the batches it never reached) and running ones run again, and so do those whose outputs held a secret
    /// (the store keeps it masked, so only running them again gives later steps the real value).
    public func resumePoint(of id: String) throws(StoreError) -> ResumePoint {
        let (rows, open, last) = try reading { sql in
            let rows = try sql.rows(
                """
                SELECT step, task, target, status, message, outputs FROM target_step
                WHERE deployment_id = ? AND status IN ('succeeded', 'tolerated')
                """, [id])
            let open = try sql.rows(
                "SELECT target, name, pid, step, task FROM session WHERE deployment_id = ? AND closed_at IS NULL", [id])
            return (rows, open, try Self.lastSequence(of: id, in: sql))
        }
        var point = ResumePoint()
        point.interrupted = true
        point.lastSequence = last
        for row in rows {
            let outcome: TargetOutcome =
                switch row.string("status") {
                case "tolerated": .tolerated(row.string("message"))
                default: .succeeded
                }
            let outputs = row.text("outputs").flatMap { try? decode([String: ConfigValue].self, $0) } ?? [:]
            if outputs.values.contains(where: \.holdsMask) { continue }
            let key = TargetStepKey(step: row.string("step"), task: row.string("task"), target: row.string("target"))
            point.finished[key] = (outcome, outputs)
        }
        point.sessions = open.map {
            (
                target: $0.string("target"), name: $0.string("name"),
                pid: Int32(truncatingIfNeeded: $0.integer("pid") ?? 0)
            )
        }
        // A session left open dies with the interrupted run (stopped before the resumed one starts): the
        // task that opened it runs again, so the steps after it find it open as an uninterrupted run would.
        for session in open {
            guard let step = session.text("step"), let task = session.text("task") else { continue }
            point.finished[TargetStepKey(step: step, task: task, target: session.string("target"))] = nil
        }
        return point
    }

    /// Refuses a deployment that cannot be resumed: only an interrupted one, or a cancelled one that is
    /// still the newest of its project and environment (nothing deployed there since), can be.
    public func checkResumable(_ record: DeploymentRecord) throws(StoreError) {
        switch record.status {
        case "interrupted": return
        case "cancelled":
            let newest = try deployments(
                project: record.project, environment: record.environment, limit: 1, releasesOnly: true
            ).first
            guard let newest, newest.id != record.id else { return }
            throw StoreError(
                "deployment \(record.id) was cancelled and \(newest.id) (\(newest.status)) was deployed to "
                    + "\(record.environment) since; deploy again instead of resuming")
        case "running":
            throw StoreError(
                "deployment \(record.id) is still running (pid \(record.pid) on \(record.host)); it cannot be resumed")
        default:
            throw StoreError(
                "deployment \(record.id) \(record.status); only an interrupted or cancelled deployment can be resumed")
        }
    }

    /// Takes over an interrupted or cancelled deployment for this process (its record says so before anything runs).
    public func claimForResume(_ id: String) throws(StoreError) -> DeploymentRecord {
        let record = try deployment(id)
        try checkResumable(record)
        let now = Self.now
        // Taken only if nobody took it since it was read (another server, another `lander resume`).
        let taken = try transaction { sql in
            let changed = try sql.execute(
                """
                UPDATE deployment SET pid = ?, host = ?, heartbeat_at = ?, status = 'running', finished_at = NULL,
                  error = NULL WHERE id = ? AND pid = ? AND host = ? AND status = ?
                """,
                [
                    Int64(getpid()), host, now, record.id, record.pid, record.host,
                    record.status == "interrupted" ? "running" : record.status,
                ])
            guard changed > 0 else { return false }
            try sql.execute(
                "INSERT INTO event (deployment_id, at, kind, detail) VALUES (?, ?, 'resumed', ?)",
                [record.id, now, "resumed by pid \(getpid()) on \(host)"])
            return true
        }
        guard taken else {
            throw StoreError("deployment \(record.id) was taken over by another process while this one looked at it")
        }
        return try deployment(record.id)
    }

    /// Fencing: refuses to record for a deployment another process took over (its record names that
    /// process now), so a run that was thought dead — its heartbeat could not reach the store for a lease —
    /// stops instead of running beside the one that resumed it.
    func checkHolder(of id: String, _ sql: any SQLTransaction) throws {
        guard let row = try sql.row("SELECT pid, host FROM deployment WHERE id = ?", [id]) else { return }
        let pid = row.integer(0) ?? 0
        let holder = row.string(1)
        guard pid == Int64(getpid()), holder == host else {
            throw StoreError(
                "deployment \(id) was taken over by pid \(pid) on \(holder) (this process was thought dead); "
                    + "this run stops so the deployment runs once")
        }
    }

    /// Gives up an interrupted deployment, with the reason; a new deployment may then start.
    public func abandon(_ id: String, reason: String) throws(StoreError) -> DeploymentRecord {
        let record = try deployment(id)
        guard record.status == "interrupted" else {
            throw StoreError(
                "deployment \(record.id) is \(record.status); only an interrupted deployment can be abandoned")
        }
        let now = Self.now
        try transaction { sql in
            try sql.execute(
                "UPDATE deployment SET status = 'abandoned', finished_at = ?, note = ? WHERE id = ?",
                [now, reason, record.id])
            try sql.execute(
                "INSERT INTO event (deployment_id, at, kind, detail) VALUES (?, ?, 'abandoned', ?)",
                [record.id, now, reason])
        }
        return try deployment(record.id)
    }
}
