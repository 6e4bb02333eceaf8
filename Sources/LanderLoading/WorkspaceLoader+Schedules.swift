import Foundation
import LanderModel
import Yams

/// `schedules:` of the workspace file: cron, time zone, grace and one action each.
extension WorkspaceLoader {
    static let scheduleKeys = ["name", "cron", "time_zone", "grace", "promote", "deploy", "report"]

    /// Every schedule of the list; a bad cron, time zone, project or environment is reported where written.
    static func schedules(_ node: Node, of workspace: Workspace, _ reader: inout NodeReader) -> [Schedule] {
        guard let items = node.sequence else {
            reader.report("schedules must be a list, found \(reader.kind(of: node))", at: node)
            return []
        }
        var result: [Schedule] = []
        for item in items {
            guard let schedule = schedule(item, of: workspace, &reader) else { continue }
            if result.contains(where: { $0.name == schedule.name }) {
                reader.report("two schedules are named '\(schedule.name)'", at: item, hint: "names are unique")
                continue
            }
            if case .report = schedule.action, workspace.smtp == nil {
                reader.report(
                    "schedule '\(schedule.name)' mails a report, but the workspace has no smtp: server", at: item,
                    hint: "add smtp: { host: mail.example.com, port: 587, from: lander@example.com }")
            }
            result.append(schedule)
        }
        return result
    }

    private static func schedule(_ node: Node, of workspace: Workspace, _ reader: inout NodeReader) -> Schedule? {
        guard let pairs = reader.mapping(node, in: "a schedule", allowed: scheduleKeys) else { return nil }
        var name: String?
        var cron: CronExpression?
        var zone = "UTC"
        var grace = Duration.seconds(600)
        var actions: [Schedule.Action] = []
        for (key, value, _) in pairs {
            switch key {
            case "name": name = reader.string(value, "a schedule's name")
            case "cron":
                guard let text = reader.string(value, "cron") else { continue }
                do {
                    cron = try CronExpression(parsing: text)
                } catch {
                    reader.report(
                        "bad cron expression: \(error.message)", at: value,
                        hint: "five fields: minute hour day-of-month month day-of-week, e.g. \"0 2 * * 1-5\"")
                }
            case "time_zone":
                guard let text = reader.string(value, "time_zone") else { continue }
                if TimeZone(identifier: text) == nil {
                    reader.report(
                        "unknown time zone '\(text)'", at: value, hint: "an IANA name such as Europe/Berlin or UTC")
                } else {
                    zone = text
                }
            case "grace": grace = reader.duration(value, "grace") ?? grace
            case "promote": promote(value, workspace, &reader).map { actions.append($0) }
            case "deploy": deploy(value, workspace, &reader).map { actions.append($0) }
            case "report": report(value, workspace, &reader).map { actions.append($0) }
            default: break
            }
        }
        guard let name else {
            reader.report("a schedule needs a name:", at: node, hint: "name: nightly-promotion")
            return nil
        }
        guard let cron else {
            if !pairs.contains(where: { $0.key == "cron" }) {
                reader.report("schedule '\(name)' needs cron:", at: node, hint: "cron: \"0 2 * * 1-5\"")
            }
            return nil
        }
        guard actions.count == 1, let action = actions.first else {
            if !pairs.contains(where: { ["promote", "deploy", "report"].contains($0.key) }) || actions.count > 1 {
                reader.report("schedule '\(name)' needs exactly one of promote:, deploy: or report:", at: node)
            }
            return nil
        }
        return Schedule(
            name: name, cron: cron, timeZone: zone, grace: grace, action: action, location: reader.location(node))
    }

    private static func promote(_ node: Node, _ workspace: Workspace, _ reader: inout NodeReader) -> Schedule.Action? {
        guard let pairs = reader.mapping(node, in: "promote", allowed: ["from", "to", "projects"]) else { return nil }
        var from: String?
        var to: String?
        var projects: [String] = []
        for (key, value, _) in pairs {
            switch key {
            case "from": from = environment(value, "promote's from", workspace, &reader)
            case "to": to = environment(value, "promote's to", workspace, &reader)
            case "projects":
                if value.scalar?.string != "all" {
                    projects = memberNames(value, "projects of promote", workspace, &reader)
                }
            default: break
            }
        }
        guard let from, let to else {
            if !pairs.contains(where: { $0.key == "from" }) || !pairs.contains(where: { $0.key == "to" }) {
                reader.report(
                    "promote needs from: and to:", at: node,
                    hint: "promote: { from: test, to: production, projects: all }")
            }
            return nil
        }
        return .promote(from: from, to: to, projects: projects)
    }

    private static func deploy(_ node: Node, _ workspace: Workspace, _ reader: inout NodeReader) -> Schedule.Action? {
        let keys = ["project", "environment", "version", "from"]
        guard let pairs = reader.mapping(node, in: "deploy", allowed: keys) else { return nil }
        var project: String?
        var environment: String?
        var version: String?
        var from: String?
        for (key, value, _) in pairs {
            switch key {
            case "project": project = memberNames(value, "deploy's project", workspace, &reader).first
            case "environment": environment = Self.environment(value, "deploy's environment", workspace, &reader)
            case "version": version = reader.string(value, "deploy's version")
            case "from": from = Self.environment(value, "deploy's from", workspace, &reader)
            default: break
            }
        }
        guard let project, let environment, (version == nil) != (from == nil) else {
            if !keys.prefix(2).allSatisfy({ key in pairs.contains { $0.key == key } })
                || (version == nil) == (from == nil)
            {
                reader.report(
                    "deploy needs project:, environment: and one of version: or from:", at: node,
                    hint: "deploy: { project: web, environment: staging, from: test }")
            }
            return nil
        }
        return .deploy(project: project, environment: environment, version: version, from: from)
    }

    private static func report(_ node: Node, _ workspace: Workspace, _ reader: inout NodeReader) -> Schedule.Action? {
        let keys = ["to", "since", "environment", "format"]
        guard let pairs = reader.mapping(node, in: "report", allowed: keys) else { return nil }
        var to: [String] = []
        var since = Duration.seconds(86400)
        var environment: String?
        var format = ReportFormat.html
        for (key, value, _) in pairs {
            switch key {
            case "to": to = reader.strings(value, "report's to") ?? [value.scalar?.string].compactMap { $0 }
            case "since": since = reader.duration(value, "since") ?? since
            case "environment": environment = Self.environment(value, "report's environment", workspace, &reader)
            case "format":
                let text = reader.string(value, "format") ?? ""
                if let parsed = ReportFormat(rawValue: text) {
                    format = parsed
                } else {
                    reader.report(
                        "unknown report format '\(text)'", at: value,
                        hint: Suggestion.hint(
                            for: text, in: ReportFormat.allCases.map(\.rawValue), listing: "formats are"))
                }
            default: break
            }
        }
        guard !to.isEmpty, to.allSatisfy({ $0.contains("@") }) else {
            reader.report("report needs to: with addresses", at: node, hint: "report: { to: [ops@example.com] }")
            return nil
        }
        return .report(to: to, since: since, environment: environment, format: format)
    }
}
