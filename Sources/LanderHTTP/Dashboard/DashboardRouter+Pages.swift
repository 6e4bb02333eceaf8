import Foundation
import HTTPTypes
import Hummingbird
import LanderService
import LanderStore

extension DashboardRouter {
    typealias Page = (title: String, body: String, script: String?)

    func grid(_ user: APIUser) throws -> Page {
        let grid = DashboardViews.grid(
            try api.status(for: user), workspace: server.workspace,
            runners: try server.store.serversOfRunningDeployments())
        return (server.workspace.name, DashboardTemplates.render(grid, "grid"), DashboardScript.grid)
    }

    func deployment(_ id: String, for user: APIUser) throws -> Page {
        let (record, queued) = try api.lookUp(id, for: user)
        let view = try api.view(of: id, record: record, queued: queued)
        let page = DeploymentPage(view, log: try server.store.logTail(of: id, limit: 500))
        return (
            "\(page.project) → \(page.environment) \(page.version)", DashboardTemplates.render(page, "deployment"),
            DashboardScript.deployment
        )
    }

    private struct HistoryRow {
        var id, project, environment, version, kind, status, user: String
        var started: String
    }

    func history(_ request: Request, for user: APIUser) throws -> Page {
        let project = request.uri.queryParameters["project"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let environment = request.uri.queryParameters["environment"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        try user.check(.viewer, project: project, environment: environment)
        let before = request.uri.queryParameters["before"].map(String.init)
        if let before, (try? server.store.deployment(before))?.id != before {
            throw APIError.notFound("no deployment \(before) to page from")
        }
        let pageSize = 50
        let records = try server.store.deployments(
            project: project ?? user.record.project, environment: environment ?? user.record.environment,
            limit: pageSize, before: before)
        let rows = records.map { record in
            HistoryRow(
                id: record.id, project: record.project, environment: record.environment, version: record.version,
                kind: record.kind, status: record.status, user: record.user,
                started: DashboardViews.time(record.startedAt) ?? "")
        }
        var query = URLComponents()
        query.path = "/history"
        query.queryItems = [
            project.map { URLQueryItem(name: "project", value: $0) },
            environment.map { URLQueryItem(name: "environment", value: $0) },
            records.last.map { URLQueryItem(name: "before", value: $0.id) },
        ].compactMap { $0 }
        let view: [String: Any] = [
            "rows": rows, "project": Self.orFalse(project), "environment": Self.orFalse(environment),
            "next": Self.orFalse(records.count == pageSize ? query.string : nil),
        ]
        return ("History", DashboardTemplates.render(view, "history"), nil)
    }

    /// A template value: the text, or false (Mustache skips the section).
    static func orFalse(_ text: String?) -> Any { text.map { $0 as Any } ?? false }

    func locks(_ user: APIUser) throws -> Page {
        let rows = try server.store.lockClaims().map { claim in
            [
                "name": claim.name, "state": claim.holding ? "running" : "waiting",
                "owner": claim.owner, "since": DashboardViews.time(claim.since) ?? "",
            ]
        }
        return ("Locks", DashboardTemplates.render(["rows": rows], "locks"), nil)
    }

    /// The servers sharing the store: alive or not, load, and the deployments (the user sees) each runs.
    func servers(_ user: APIUser) throws -> Page {
        let view = try api.servers(for: user)
        let records = Dictionary(
            try api.status(for: user).running.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let now = Date()
        let rows = view.servers.map { record -> [String: Any] in
            let runs = view.running.filter { $0.value == record.id }.keys.sorted().compactMap { id in
                records[id].map { ["id": id, "project": $0.project, "environment": $0.environment, "version": $0.version] }
            }
            return [
                "id": record.id, "address": record.address ?? "-",
                "state": record.alive ? "alive" : record.stoppedAt == nil ? "gone" : "stopped",
                "load": "\(record.running)/\(record.capacity)",
                "heard": WorkspaceStatus.age(now.timeIntervalSince(record.heartbeatAt)) + " ago", "runs": runs,
            ]
        }
        let alive = view.servers.filter(\.alive).count
        let summary = "\(alive) of \(view.servers.count) servers alive; \(view.queued) queued"
        return ("Servers", DashboardTemplates.render(["rows": rows, "summary": summary], "servers"), nil)
    }
}
