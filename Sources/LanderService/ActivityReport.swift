public import Foundation
import LanderModel
public import LanderStore

/// What happened in a window of time: every project's deployments per environment, with outcome, duration,
/// who asked, the headline error of a failure, and what was compensated or rolled back (`lander report`).
public struct ActivityReport: Sendable, Encodable {
    /// One deployment in the report.
    public struct Entry: Sendable, Encodable {
        public var id: String
        public var project: String
        public var version: String
        /// `deploy`, `rollback`, `compensation`, `job`, …
        public var kind: String
        /// succeeded, failed, cancelled, running, interrupted.
        public var outcome: String
        public var startedAt: Date
        public var durationSeconds: Double?
        public var requestedBy: String
        /// The first line of its error.
        public var error: String?
        /// The deployment that started it (a promotion, the failed parent of a compensation).
        public var parent: String?
        /// Deployments that undid it: compensations started by it, rollbacks after it.
        public var undoneBy: [String]
    }

    /// One environment's deployments, oldest first.
    public struct Section: Sendable, Encodable {
        public var environment: String
        public var deployments: [Entry]
        public var succeeded: Int
        public var failed: Int
    }

    /// The window.
    public var from: Date
    public var to: Date
    /// Only this environment, when given.
    public var environment: String?
    /// Environments in name order.
    public var environments: [Section]

    /// Builds the report of `[from, to)` from the store.
    public static func build(store: StateStore, from: Date, to: Date, environment: String? = nil) throws(StoreError)
        -> ActivityReport
    {
        let records = try store.deployments(from: from, to: to, environment: environment)
        var undone: [String: [String]] = [:]
        for record in records {
            if record.kind == "compensation", let parent = record.parent {
                undone[parent, default: []].append(record.id)
            }
        }
        for record in records where record.kind == "rollback" {
            // A rollback undoes the newest deployment of its project and environment before it.
            if let undoneOne = records.last(where: {
                $0.project == record.project && $0.environment == record.environment && $0.startedAt < record.startedAt
                    && $0.kind != "rollback"
            }) {
                undone[undoneOne.id, default: []].append(record.id)
            }
        }
        let grouped = Dictionary(grouping: records, by: \.environment)
        let sections = grouped.keys.sorted().map { name -> Section in
            let entries = (grouped[name] ?? []).map { record in
                Entry(
                    id: record.id, project: record.project, version: record.version, kind: record.kind,
                    outcome: record.status, startedAt: record.startedAt,
                    durationSeconds: record.finishedAt.map { $0.timeIntervalSince(record.startedAt) },
                    requestedBy: record.user,
                    error: record.error.flatMap { $0.split(separator: "\n").first.map(String.init) },
                    parent: record.parent, undoneBy: undone[record.id] ?? [])
            }
            return Section(
                environment: name, deployments: entries, succeeded: entries.filter { $0.outcome == "succeeded" }.count,
                failed: entries.filter { $0.outcome == "failed" }.count)
        }
        return ActivityReport(from: from, to: to, environment: environment, environments: sections)
    }

    /// The window's title: `Deployments 2026-12-01 00:00 – 2026-12-02 00:00 UTC`.
    public var title: String {
        "Deployments \(Self.minute(from)) – \(Self.minute(to)) UTC" + (environment.map { " in \($0)" } ?? "")
    }

    static func minute(_ date: Date) -> String {
        UTCTime.text(date, "yyyy-MM-dd HH:mm")
    }

    static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "—" }
        return Duration.milliseconds(Int64((seconds * 1000).rounded())).formatted
    }
}
