public import Foundation

extension StateStore {
    /// The newest deployment of every project and environment that delivers releases (no phone-home
    /// jobs), by `StateStore.cell(project, environment)`: one query for a whole status grid.
    public func newestDeployments() throws(StoreError) -> [String: DeploymentRecord] {
        try newest(succeededOnly: false)
    }

    /// The newest successful one of each: the release every environment runs.
    public func currentDeployments() throws(StoreError) -> [String: DeploymentRecord] {
        try newest(succeededOnly: true)
    }

    /// Deployments recorded as running: running now, or interrupted (their lander stopped).
    public func openDeployments() throws(StoreError) -> [DeploymentRecord] {
        try reading { sql in
            try sql.rows(
                Self.deploymentSelect + " WHERE d.status = 'running' ORDER BY d.started_at DESC, d.rowid DESC", [])
        }.map(record)
    }

    /// The key of a project and environment in the maps above.
    public static func cell(_ project: String, _ environment: String) -> String { project + "\u{0}" + environment }

    private func newest(succeededOnly: Bool) throws(StoreError) -> [String: DeploymentRecord] {
        let rows = try reading { sql in
            try sql.rows(
                Self.deploymentSelect + """
                     WHERE d.rowid IN (
                      SELECT rowid FROM (
                        SELECT rowid, ROW_NUMBER() OVER (
                          PARTITION BY project, environment ORDER BY started_at DESC, rowid DESC) AS n
                        FROM deployment WHERE kind != 'job'\(succeededOnly ? " AND status = 'succeeded'" : "")
                      ) AS ranked WHERE n = 1)
                    """, [])
        }
        var found: [String: DeploymentRecord] = [:]
        for row in rows {
            let record = record(row)
            found[Self.cell(record.project, record.environment)] = record
        }
        return found
    }
}

/// What a status grid cell shows of a deployment: the full record carries its packages, variables and
/// plugin path, three times the bytes, for every cell of every poll.
public struct DeploymentSummary: Sendable, Codable, Equatable {
    public var id: String
    /// `deploy` or `rollback`.
    public var kind: String
    public var version: String
    /// running, succeeded, failed, cancelled, interrupted or abandoned.
    public var status: String
    public var user: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var error: String?

    /// The summary of a record.
    public init(_ record: DeploymentRecord) {
        id = record.id
        kind = record.kind
        version = record.version
        status = record.status
        user = record.user
        startedAt = record.startedAt
        finishedAt = record.finishedAt
        error = record.error
    }
}
