import Foundation
import LanderModel
import LanderStore

/// `lander status` in a workspace: a grid of its projects × environments, each cell the version there,
/// how its newest deployment went and how long ago, or what runs now (its step, what it waits for).
struct WorkspaceStatus: Encodable {
    /// One project in one environment.
    struct Cell: Encodable {
        var project: String
        var environment: String
        /// The newest deployment there.
        var newest: DeploymentRecord?
        /// The version the environment runs (its newest successful deployment).
        var current: String?
        /// The step a running deployment is in.
        var step: String?
        /// What a running deployment waits for.
        var waitingFor: String?
    }

    var workspace: String
    var environments: [String]
    var cells: [Cell]

    /// Reads the grid from the workspace's store.
    init(_ workspace: Workspace, store: StateStore) throws(StoreError) {
        self.workspace = workspace.name
        var environments: [String] = []
        for name in workspace.members.flatMap(\.environments) where !environments.contains(name) {
            environments.append(name)
        }
        self.environments = environments
        var cells: [Cell] = []
        for member in workspace.members {
            for environment in environments where member.environments.contains(environment) {
                let newest = try store.deployments(
                    project: member.name, environment: environment, limit: 1, releasesOnly: true
                ).first
                var cell = Cell(
                    project: member.name, environment: environment, newest: newest,
                    current: try store.current(project: member.name, environment: environment)?.version)
                if let newest, newest.status == "running" {
                    cell.step = try store.currentStep(of: newest.id)
                    cell.waitingFor = try store.waitingFor(in: newest.id)
                }
                cells.append(cell)
            }
        }
        self.cells = cells
    }

    /// The grid as text: a row a project, a column an environment.
    func lines(members: [String], now: Date = Date()) -> [String] {
        let header = ["project"] + environments
        var rows: [[String]] = [header]
        for member in members {
            rows.append(
                [member]
                    + environments.map { environment in
                        cells.first { $0.project == member && $0.environment == environment }.map {
                            Self.text($0, now: now)
                        } ?? ""
                    })
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }

    static func text(_ cell: Cell, now: Date) -> String {
        guard let newest = cell.newest else { return "—" }
        if newest.status == "running" {
            var text = "running \(newest.version)"
            if let step = cell.step {
                text += " (step \(step)" + (cell.waitingFor.map { ", waits for \($0)" } ?? "") + ")"
            }
            return text
        }
        let age = age(now.timeIntervalSince(newest.finishedAt ?? newest.startedAt))
        var text = "\(newest.version) \(newest.status) \(age) ago"
        if newest.status != "succeeded", let current = cell.current { text += " (runs \(current))" }
        return text
    }

    /// `45s`, `12m`, `5h`, `3d`.
    static func age(_ seconds: TimeInterval) -> String {
        switch max(0, seconds) {
        case ..<60: "\(Int(seconds))s"
        case ..<3600: "\(Int(seconds / 60))m"
        case ..<86400: "\(Int(seconds / 3600))h"
        default: "\(Int(seconds / 86400))d"
        }
    }
}
