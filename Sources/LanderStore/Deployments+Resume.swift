import Foundation
import GRDB
public import LanderEngine
import LanderModel

extension StateStore {
    /// What an interrupted or cancelled deployment already finished: succeeded and tolerated target-steps
    /// with their outputs. Failed, cancelled, skipped (a skip is decided again: a cancelled rollout skipped
    /// the batches it never reached) and running ones run again, and so do those whose outputs held a secret
    /// (the store keeps it masked, so only running them again gives later steps the real value).
    public func resumePoint(of id: String) throws(StoreError) -> ResumePoint {
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT step, task, target, status, message, outputs FROM target_step
                    WHERE deployment_id = ? AND status IN ('succeeded', 'tolerated')
                    """, arguments: [id])
        }
        var point = ResumePoint()
        point.interrupted = true
        point.lastSequence = try read { db in try Self.lastSequence(of: id, in: db) }
        for row in rows {
            let outcome: TargetOutcome =
                switch row["status"] as String {
                case "tolerated": .tolerated(row["message"] ?? "")
                default: .succeeded
                }
            let outputs = (row["outputs"] as String?).flatMap { try? decode([String: ConfigValue].self, $0) } ?? [:]
            if outputs.values.contains(where: \.holdsMask) { continue }
            point.finished[TargetStepKey(step: row["step"], task: row["task"], target: row["target"])] = (
                outcome, outputs
            )
        }
        let open = try read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT target, name, pid, step, task FROM session WHERE deployment_id = ? AND closed_at IS NULL",
                arguments: [id])
        }
        point.sessions = open.map { (target: $0["target"], name: $0["name"], pid: $0["pid"]) }
        // A session left open dies with the interrupted run (stopped before the resumed one starts): the
        // task that opened it runs again, so the steps after it find it open as an uninterrupted run would.
        for session in open {
            guard let step = session["step"] as String?, let task = session["task"] as String? else { continue }
            point.finished[TargetStepKey(step: step, task: task, target: session["target"])] = nil
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
        try write { db in
            try db.execute(
                sql: """
                    UPDATE deployment SET pid = ?, host = ?, heartbeat_at = ?, status = 'running', finished_at = NULL,
                      error = NULL WHERE id = ?
                    """,
                arguments: [Int64(getpid()), host, now, record.id])
            try db.execute(
                sql: "INSERT INTO event (deployment_id, at, kind, detail) VALUES (?, ?, 'resumed', ?)",
                arguments: [record.id, now, "resumed by pid \(getpid()) on \(host)"])
        }
        return try deployment(record.id)
    }

    /// Gives up an interrupted deployment, with the reason; a new deployment may then start.
    public func abandon(_ id: String, reason: String) throws(StoreError) -> DeploymentRecord {
        let record = try deployment(id)
        guard record.status == "interrupted" else {
            throw StoreError(
                "deployment \(record.id) is \(record.status); only an interrupted deployment can be abandoned")
        }
        let now = Self.now
        try write { db in
            try db.execute(
                sql: "UPDATE deployment SET status = 'abandoned', finished_at = ?, note = ? WHERE id = ?",
                arguments: [now, reason, record.id])
            try db.execute(
                sql: "INSERT INTO event (deployment_id, at, kind, detail) VALUES (?, ?, 'abandoned', ?)",
                arguments: [record.id, now, reason])
        }
        return try deployment(record.id)
    }
}
