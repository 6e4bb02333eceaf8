import Foundation
import LanderEngine
import LanderModel
import LanderService
import LanderStore

/// What the dashboard's templates show, made from what the store holds (Mustache reads these by name).
enum DashboardViews {
    /// One cell of the grid: a project in an environment.
    struct Cell: Sendable, Equatable {
        var id: String
        var state: String
        var present: Bool
        var applies: Bool
        var link: String = ""
        var version: String = ""
        var outcome: String = ""
        /// When it ended (the page's script keeps the age shown from it current).
        var time: String = ""
        var age: String?
        var detail: String?
    }

    struct Row: Sendable {
        var project: String
        var cells: [Cell]
    }

    /// A running or interrupted deployment under the grid, with the server running it.
    struct Open {
        var id, project, environment, version, status: String
        /// `HOST:PID` of the server running it (several servers share a store), or nil.
        var runner: String?
    }

    struct Grid: TemplateView {
        var workspace: String
        var environments: [String]
        var rows: [Row]
        var open: [Open]
        var computed: [String: Any] { ["hasOpen": !open.isEmpty] }
    }

    /// The element id of a project's cell in an environment.
    static func cellID(_ project: String, _ environment: String) -> String { "cell-\(project)--\(environment)" }

    /// The grid of a workspace's status.
    static func grid(
        _ status: StoreStatus, workspace: Workspace, runners: [String: String] = [:], now: Date = Date()
    ) -> Grid {
        let grid = status.workspace
        let environments = grid?.environments ?? []
        var byKey: [String: WorkspaceStatus.Cell] = [:]
        for cell in grid?.cells ?? [] { byKey[cellID(cell.project, cell.environment)] = cell }
        let rows = workspace.members.map { member in
            Row(
                project: member.name,
                cells: environments.map { environment in
                    let id = cellID(member.name, environment)
                    if let cell = byKey[id] { return self.cell(cell, id: id, now: now) }
                    // Not in the status: the member has no such environment, or the token does not cover it.
                    return Cell(id: id, state: "absent", present: false, applies: false)
                })
        }
        let open = (status.running + status.interrupted).map { record in
            Open(
                id: record.id, project: record.project, environment: record.environment, version: record.version,
                status: record.status, runner: runners[record.id])
        }
        return Grid(workspace: workspace.name, environments: environments, rows: rows, open: open)
    }

    /// A cell as the grid shows it: version, outcome and age; or what a running deployment does.
    static func cell(_ cell: WorkspaceStatus.Cell, id: String, now: Date) -> Cell {
        guard let newest = cell.newest else { return Cell(id: id, state: "absent", present: false, applies: true) }
        var view = Cell(
            id: id, state: newest.status, present: true, applies: true, link: newest.id, version: newest.version,
            outcome: newest.status)
        if newest.status == "running" {
            view.detail = cell.step.map { "step \($0)" + (cell.waitingFor.map { ", waits for \($0)" } ?? "") }
        } else {
            let ended = newest.finishedAt ?? newest.startedAt
            view.age = WorkspaceStatus.age(now.timeIntervalSince(ended))
            view.time = EventEnvelope.timestamp(ended)
            var detail = newest.error.map { String($0.prefix(120)) }
            if newest.status != "succeeded", let current = cell.current {
                detail = (detail.map { $0 + "; " } ?? "") + "runs \(current)"
            }
            view.detail = detail
        }
        return view
    }

    /// A time as the pages show it (UTC, to the second).
    static func time(_ date: Date?) -> String? {
        date.map { EventEnvelope.timestamp($0).prefix(19).replacingOccurrences(of: "T", with: " ") + " UTC" }
    }
}
