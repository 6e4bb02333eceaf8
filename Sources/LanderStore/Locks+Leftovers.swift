import Foundation

extension StateStore {
    /// What a dead holder's claim still guards: nil when nothing it ran under the lock can still run,
    /// else what runs (or may run) and what to do about it.
    func stillRunning(under claim: SQLRow) -> String? {
        guard let prefix = claim.text("guard_run"), !prefix.isEmpty else { return nil }
        let deployment = claim.text("deployment_id") ?? "ID"
        if claim.integer("guard_remote") == 1 || claim.string("host") != host {
            return "what it ran under the lock on other machines may still run; `lander resume \(deployment)` "
                + "stops it and lets the lock go"
        }
        let pids = Self.processes(runningUnder: prefix)
        guard !pids.isEmpty else { return nil }
        return "what it ran under the lock still runs (pid \(pids.prefix(5).map(String.init).joined(separator: ", ")))"
            + "; waiting for it to end, or `lander resume \(deployment)` stops it"
    }

    /// Processes on this machine whose `LANDER_RUN` starts with `prefix` (zombies have no environment left).
    static func processes(runningUnder prefix: String) -> [Int32] {
        let needle = Array("LANDER_RUN=\(prefix)".utf8)
        var found: [Int32] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ")
            else { continue }
            for variable in environ.split(separator: 0) where variable.starts(with: needle) {
                found.append(pid)
                break
            }
        }
        return found.sorted()
    }

    /// Deletes the claims a dead run of `deployment` left (this process's own claims stay).
    public func releaseLeftovers(of deployment: String) throws(StoreError) {
        let host = self.host
        try transaction { sql in
            try sql.execute(
                "DELETE FROM lock_claim WHERE deployment_id = ? AND NOT (pid = ? AND host = ?)",
                [deployment, Int64(getpid()), host])
        }
    }

    /// The locks a dead run of `deployment` still holds because what it ran under them may still run, with why.
    public func heldLeftovers(of deployment: String) throws(StoreError) -> [(lock: String, why: String)] {
        let rows = try reading { sql in
            try sql.rows(
                """
                SELECT name, holding, pid, host, expires_at, deployment_id, guard_run, guard_remote
                FROM lock_claim WHERE deployment_id = ? AND holding = 1
                """, [deployment])
        }
        let now = Self.now
        return rows.compactMap { row in
            let gone =
                (row.real("expires_at") ?? 0) < now || isGone(pid: row.integer("pid") ?? 0, host: row.string("host"))
            guard gone, let why = stillRunning(under: row) else { return nil }
            return (row.string("name"), why)
        }
    }
}
