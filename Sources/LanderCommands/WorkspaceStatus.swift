import Foundation
import LanderModel
import LanderService
import LanderStore

extension WorkspaceStatus {
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
}
