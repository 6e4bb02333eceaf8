import Foundation
public import LanderModel

extension ActivityReport {
    /// The report in a format: plain text, Markdown, an HTML page (for mail) or JSON.
    public func render(_ format: ReportFormat) -> String {
        switch format {
        case .text: text
        case .markdown: markdown
        case .html: html
        case .json: json
        }
    }

    private var totals: String {
        let all = environments.flatMap(\.deployments)
        let failed = all.filter { $0.outcome == "failed" }.count
        return "\(all.count) deployment\(all.count == 1 ? "" : "s"), \(failed) failed"
    }

    private static func notes(_ entry: Entry) -> [String] {
        var notes: [String] = []
        if entry.kind != "deploy" { notes.append(entry.kind) }
        if let error = entry.error { notes.append("error: \(error)") }
        if !entry.undoneBy.isEmpty { notes.append("undone by " + entry.undoneBy.joined(separator: ", ")) }
        if let parent = entry.parent { notes.append("started by \(parent)") }
        return notes
    }

    private var text: String {
        var lines = ["\(title): \(totals)"]
        if environments.isEmpty { lines.append("no deployments") }
        for section in environments {
            lines.append("")
            lines.append(
                "\(section.environment): \(section.deployments.count) (\(section.succeeded) succeeded, \(section.failed) failed)"
            )
            for entry in section.deployments {
                let notes = Self.notes(entry)
                lines.append(
                    "  \(Self.minute(entry.startedAt))  \(entry.project) \(entry.version)  \(entry.outcome)  "
                        + "\(Self.duration(entry.durationSeconds))  \(entry.requestedBy)  \(entry.id)"
                        + (notes.isEmpty ? "" : "\n      " + notes.joined(separator: "; ")))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private var markdown: String {
        var lines = ["# \(title)", "", totals]
        for section in environments {
            lines += [
                "", "## \(section.environment)", "",
                "| started | project | version | outcome | duration | who | deployment | notes |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for entry in section.deployments {
                let cells = [
                    Self.minute(entry.startedAt), entry.project, entry.version, entry.outcome,
                    Self.duration(entry.durationSeconds), entry.requestedBy, entry.id,
                    Self.notes(entry).joined(separator: "; "),
                ].map { $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
                lines.append("| " + cells.joined(separator: " | ") + " |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private var html: String {
        var body = "<h1>\(Self.escape(title))</h1>\n<p>\(Self.escape(totals))</p>\n"
        for section in environments {
            body += "<h2>\(Self.escape(section.environment))</h2>\n<table>\n"
            body +=
                "<tr><th>started</th><th>project</th><th>version</th><th>outcome</th><th>duration</th>"
                + "<th>who</th><th>deployment</th><th>notes</th></tr>\n"
            for entry in section.deployments {
                let cells = [
                    Self.minute(entry.startedAt), entry.project, entry.version, entry.outcome,
                    Self.duration(entry.durationSeconds), entry.requestedBy, entry.id,
                    Self.notes(entry).joined(separator: "; "),
                ]
                body +=
                    "<tr class=\"\(Self.escape(entry.outcome))\">"
                    + cells.map { "<td>\(Self.escape($0))</td>" }.joined() + "</tr>\n"
            }
            body += "</table>\n"
        }
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(Self.escape(title))</title>
            <style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;\
            padding:2px 6px;text-align:left}tr.failed td{background:#fdd}</style></head>
            <body>
            \(body)</body></html>

            """
    }

    private var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self) + "\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
