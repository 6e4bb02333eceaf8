public import Foundation
import LanderEngine
public import LanderModel

/// A deployment as the store records it.
public struct DeploymentRecord: Sendable, Codable {
    public var id: String
    /// `deploy` or `rollback`.
    public var kind: String
    public var project: String
    public var environment: String
    public var version: String
    /// Exact package versions (and hashes) of the release.
    public var packages: [ResolvedPackage]
    /// The environment's variables when it was deployed (secrets as references, never values).
    public var variables: [String: ConfigValue]
    /// The lander.yml and plugin path it was planned from (a resume plans it again from them).
    public var projectFile: String
    public var pluginPath: [String]
    public var user: String
    public var host: String
    public var pid: Int64
    public var startedAt: Date
    public var finishedAt: Date?
    /// running, succeeded, failed, cancelled, interrupted (running, but its process is gone) or abandoned.
    public var status: String
    public var error: String?
    /// Why it was abandoned, or what it rolled back.
    public var note: String?
    /// The deployment that started this one (deploy-and-wait), if any.
    public var parent: String?
}

/// One task on one target within a deployment.
public struct TargetStepRecord: Sendable, Codable {
    public var step: String
    public var task: String
    public var target: String
    /// running, succeeded, failed, tolerated, cancelled or skipped.
    public var status: String
    public var exitCode: Int32?
    public var message: String?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var durationSeconds: Double?
    /// What the task set for later steps (secrets masked).
    public var outputs: [String: ConfigValue]?
}

/// A line of a deployment's log.
public struct LogRecord: Sendable, Codable {
    public var at: Date
    public var step: String?
    public var task: String?
    public var target: String?
    /// stdout, stderr or log.
    public var stream: String
    public var line: String
}

/// A release `lander release create` recorded.
public struct ReleaseRecord: Sendable, Codable {
    public var version: String
    /// Its exact packages and hashes.
    public var packages: [ResolvedPackage]
    public var createdAt: Date
    public var createdBy: String
}

/// A target's move in a rolling step (in_pool → draining → deploying → verifying → in_pool, …).
public struct RolloutRecord: Sendable, Codable {
    public var at: Date
    public var step: String
    public var target: String
    /// prechecking, draining, deploying, settling, verifying, in_pool, left_out, skipped or stopped.
    public var state: String
    /// Why, for left_out, skipped and stopped.
    public var detail: String?
}

/// What a new deployment records before it starts.
public struct NewDeployment: Sendable {
    public var id: String
    public var kind: String
    public var project: String
    public var environment: String
    public var version: String
    public var packages: [ResolvedPackage]
    public var variables: [String: ConfigValue]
    public var projectFile: String
    public var pluginPath: [String]
    public var note: String?
    /// The deployment that started this one.
    public var parent: String?
    /// Who asked for it (nil: the user running this process), recorded with it.
    public var requestedBy: String?

    /// Creates the description of a deployment about to start.
    public init(
        id: String, kind: String = "deploy", project: String, environment: String, version: String,
        packages: [ResolvedPackage] = [], variables: [String: ConfigValue], projectFile: String, pluginPath: [String],
        note: String? = nil, parent: String? = nil
    ) {
        self.note = note
        self.parent = parent
        self.id = id
        self.kind = kind
        self.project = project
        self.environment = environment
        self.version = version
        self.packages = packages
        self.variables = variables
        self.projectFile = projectFile
        self.pluginPath = pluginPath
    }
}

extension StateStore {
    /// Records a deployment as running, with its release. Refuses while an interrupted deployment of the
    /// same project and environment waits to be resumed or abandoned.
    public func begin(_ new: NewDeployment) throws(StoreError) {
        if let stuck = try unfinished(project: new.project, environment: new.environment).first {
            throw StoreError(
                "deployment \(stuck.id) of \(new.project) to \(new.environment) was interrupted (its lander stopped "
                    + "at \(stuck.startedAt.formatted(.iso8601))); run `lander resume \(stuck.id)` to finish it, or "
                    + "`lander abandon \(stuck.id) --reason …` before deploying again")
        }
        let now = Self.now
        let pid = Int64(getpid())
        let user = new.requestedBy ?? ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        let packages = json(new.packages)
        let variables = json(new.variables)
        try transaction { sql in
            let release = try sql.integer(
                """
                INSERT INTO release (project, version, packages, variables, created_at) VALUES (?, ?, ?, ?, ?)
                RETURNING id
                """, [new.project, new.version, packages, variables, now])
            try sql.execute(
                """
                INSERT INTO deployment (id, kind, project, environment, release_id, version, project_file,
                  plugin_path, "user", host, pid, started_at, heartbeat_at, status, note, parent_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)
                """,
                [
                    new.id, new.kind, new.project, new.environment, release, new.version, new.projectFile,
                    json(new.pluginPath), user, host, pid, now, now, new.note, new.parent,
                ])
            try sql.execute(
                "INSERT INTO event (deployment_id, at, kind, detail) VALUES (?, ?, 'recorded', ?)",
                [new.id, now, "\(new.kind) of \(new.project) \(new.version) to \(new.environment) by \(user)"])
        }
    }

    /// Deployments of a project and environment that were running when their lander stopped.
    public func unfinished(project: String, environment: String) throws(StoreError) -> [DeploymentRecord] {
        try deployments(project: project, environment: environment, limit: 1000, releasesOnly: true).filter {
            $0.status == "interrupted"
        }
    }

    /// Deployments, newest first; with `releasesOnly`, without phone-home jobs (kind `job`: they ran some of
    /// a project's steps inside another deployment and delivered no release of their own); with `before`,
    /// those older than that deployment (a page after it).
    public func deployments(
        project: String? = nil, environment: String? = nil, limit: Int = 50, releasesOnly: Bool = false,
        before: String? = nil
    ) throws(StoreError) -> [DeploymentRecord] {
        var conditions: [String] = releasesOnly ? ["d.kind != 'job'"] : []
        var arguments: [any SQLBindable] = []
        if let before {
            conditions.append("(d.started_at, d.rowid) < (SELECT started_at, rowid FROM deployment WHERE id = ?)")
            arguments.append(before)
        }
        if let project {
            conditions.append("d.project = ?")
            arguments.append(project)
        }
        if let environment {
            conditions.append("d.environment = ?")
            arguments.append(environment)
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments.append(limit)
        let rows = try reading { sql in
            try sql.rows(
                Self.deploymentSelect + " \(filter) ORDER BY d.started_at DESC, d.rowid DESC LIMIT ?", arguments)
        }
        return rows.map(record)
    }

    /// One deployment, by id or a unique prefix of it.
    public func deployment(_ id: String) throws(StoreError) -> DeploymentRecord {
        let rows = try reading { sql in
            try sql.rows(
                Self.deploymentSelect + " WHERE d.id = ? OR d.id LIKE ? ESCAPE '\\' LIMIT 2", [id, Self.likePrefix(id)])
        }
        if let exact = rows.first(where: { $0.text(0) == id }) { return record(exact) }
        guard rows.count == 1, let row = rows.first else {
            throw StoreError(
                .notFound,
                rows.isEmpty
                    ? "no deployment \(id) in \(path); `lander history` lists them"
                    : "\(id) names more than one deployment; give more of the id")
        }
        return record(row)
    }

    /// Its task runs on targets, in the order they started.
    public func targetSteps(of id: String) throws(StoreError) -> [TargetStepRecord] {
        try reading { sql in
            try sql.rows(
                """
                SELECT step, task, target, status, exit_code, message, started_at, finished_at, duration, outputs
                FROM target_step WHERE deployment_id = ? ORDER BY started_at, rowid
                """, [id])
        }.map { row in
            TargetStepRecord(
                step: row.string(0), task: row.string(1), target: row.string(2), status: row.string(3),
                exitCode: row.integer(4).map { Int32(truncatingIfNeeded: $0) }, message: row.text(5),
                startedAt: row.date(6), finishedAt: row.date(7), durationSeconds: row.real(8),
                outputs: row.text(9).flatMap { decodeUnlessEmpty([String: ConfigValue].self, $0) })
        }
    }

    /// Records a release: a version and its exact packages, deployable later with `deploy --release`.
    /// Refuses a version the project already has.
    public func createRelease(project: String, version: String, packages: [ResolvedPackage]) throws(StoreError) {
        try transaction { sql in
            let existing = try sql.integer(
                "SELECT COUNT(*) FROM release WHERE project = ? AND version = ? AND created_by IS NOT NULL",
                [project, version])
            guard existing == 0 else {
                throw StoreError(
                    "release \(version) of \(project) already exists; releases never change — create a new version")
            }
            try sql.execute(
                """
                INSERT INTO release (project, version, packages, variables, created_at, created_by)
                VALUES (?, ?, ?, '{}', ?, ?)
                """, [project, version, json(packages), Date().timeIntervalSince1970, NSUserName()])
        }
    }

    /// The releases `lander release create` recorded for a project, newest first.
    public func releases(project: String, limit: Int = 50) throws(StoreError) -> [ReleaseRecord] {
        try reading { sql in
            try sql.rows(
                """
                SELECT version, packages, created_at, created_by FROM release
                WHERE project = ? AND created_by IS NOT NULL ORDER BY id DESC LIMIT ?
                """, [project, limit])
        }.map { row in
            ReleaseRecord(
                version: row.string("version"),
                packages: (try? decode([ResolvedPackage].self, row.string("packages"))) ?? [],
                createdAt: row.time("created_at"), createdBy: row.string("created_by"))
        }
    }

    /// The packages of a release `lander release create` recorded (nil: no such release).
    public func release(project: String, version: String) throws(StoreError) -> [ResolvedPackage]? {
        try reading { sql in
            try sql.row(
                """
                SELECT packages FROM release WHERE project = ? AND version = ? AND created_by IS NOT NULL
                ORDER BY id DESC LIMIT 1
                """, [project, version])?.text(0)
        }.map { (try? decode([ResolvedPackage].self, $0)) ?? [] }
    }

    /// The newest successful deployment of a project and environment other than `excluding` version, or of
    /// `version` when given: what a rollback deploys again.
    public func rollbackTarget(project: String, environment: String, version: String?) throws(StoreError)
        -> DeploymentRecord?
    {
        let done = try deployments(project: project, environment: environment, limit: 10_000, releasesOnly: true)
            .filter { $0.status == "succeeded" }
        if let version { return done.first { $0.version == version } }
        guard let current = done.first else { return nil }
        return done.first { $0.version != current.version }
    }

    /// The newest successful deployment of a project to an environment: the release it runs now.
    public func current(project: String, environment: String) throws(StoreError) -> DeploymentRecord? {
        try deployments(project: project, environment: environment, limit: 10_000, releasesOnly: true).first {
            $0.status == "succeeded"
        }
    }

    /// The deployment of a project to an environment running now (its process alive), if any.
    public func running(project: String, environment: String) throws(StoreError) -> DeploymentRecord? {
        try deployments(project: project, environment: environment, limit: 20, releasesOnly: true).first {
            $0.status == "running"
        }
    }

    /// Whether a deployment has reached a milestone (its journal recorded it).
    public func reached(_ milestone: String, in deployment: String) throws(StoreError) -> Bool {
        try reading { sql in
            try sql.integer(
                "SELECT EXISTS (SELECT 1 FROM event WHERE deployment_id = ? AND kind = 'milestone' AND detail = ?)",
                [deployment, milestone]) == 1
        }
    }

    /// The deployments `parent` started, oldest first.
    public func children(of parent: String) throws(StoreError) -> [DeploymentRecord] {
        try reading { sql in
            try sql.rows(Self.deploymentSelect + " WHERE d.parent_id = ? ORDER BY d.started_at", [parent])
        }.map(record)
    }

    /// Renews a running deployment's heartbeat, while this process holds it (one that took it over, after
    /// this one was thought dead, keeps it).
    func heartbeat(_ id: String) throws(StoreError) {
        try transaction { sql in
            try sql.execute(
                "UPDATE deployment SET heartbeat_at = ? WHERE id = ? AND pid = ? AND host = ?",
                [Self.now, id, Int64(getpid()), host])
        }
    }

    // MARK: Rows

    static let deploymentSelect = """
        SELECT d.id, d.kind, d.project, d.environment, d.version, r.packages, r.variables, d.project_file,
          d.plugin_path, d."user", d.host, d.pid, d.started_at, d.heartbeat_at, d.finished_at, d.status, d.error, d.note,
          d.parent_id
        FROM deployment d JOIN release r ON r.id = d.release_id
        """

    /// A row of `deploymentSelect`, read by column position (the status grid reads hundreds of rows a
    /// request).
    func record(_ row: SQLRow) -> DeploymentRecord {
        var status = row.string(15)
        let host = row.string(10)
        let pid = row.integer(11) ?? 0
        if status == "running" {
            let stale = Self.now - (row.real(13) ?? 0) > leaseSeconds
            if stale || isGone(pid: pid, host: host) { status = "interrupted" }
        }
        return DeploymentRecord(
            id: row.string(0), kind: row.string(1), project: row.string(2), environment: row.string(3),
            version: row.string(4), packages: decodeUnlessEmpty([ResolvedPackage].self, row.string(5)) ?? [],
            variables: decodeUnlessEmpty([String: ConfigValue].self, row.string(6)) ?? [:],
            projectFile: row.string(7), pluginPath: decodeUnlessEmpty([String].self, row.string(8)) ?? [],
            user: row.string(9), host: host, pid: pid, startedAt: row.time(12), finishedAt: row.date(14),
            status: status, error: row.text(16), note: row.text(17), parent: row.text(18))
    }

    static func likePrefix(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}

/// Compact JSON text of a value.
func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "null" }
    return String(decoding: data, as: UTF8.self)
}

/// Decodes JSON text.
func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(text.utf8))
}

/// A JSON column's value, nil when it is an empty list or object (most are) or cannot be read.
func decodeUnlessEmpty<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
    text == "[]" || text == "{}" ? nil : try? decode(type, text)
}
