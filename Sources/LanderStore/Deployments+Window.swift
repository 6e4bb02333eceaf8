public import Foundation

extension StateStore {
    /// Deployments started in `[from, to)`, oldest first; in one environment when given.
    public func deployments(from: Date, to: Date, environment: String? = nil) throws(StoreError) -> [DeploymentRecord] {
        var arguments: [any SQLBindable] = [from.timeIntervalSince1970, to.timeIntervalSince1970]
        var filter = "WHERE d.started_at >= ? AND d.started_at < ?"
        if let environment {
            filter += " AND d.environment = ?"
            arguments.append(environment)
        }
        let rows = try reading { sql in
            try sql.rows(Self.deploymentSelect + " \(filter) ORDER BY d.started_at, d.rowid", arguments)
        }
        return rows.map(record)
    }
}
