import Foundation
import LanderEngine
import LanderModel
import LanderStore

/// The deployment page: its facts, why it waits, targets × steps, outputs, notes and the end of its log.
struct DeploymentPage: TemplateView {
    struct Column {
        var key: String
        var title: String
    }

    struct TargetCell {
        var id: String
        var status: String
        var title: String
    }

    struct TargetRow {
        var target: String
        var cells: [TargetCell]
    }

    struct Output {
        var step: String
        var target: String
        var name: String
        var value: String
    }

    struct Line {
        var stream: String
        var target: String
        var prefix: String
        var line: String
    }

    var id: String
    var project: String
    var environment: String
    var state: String
    var version: String
    var user: String
    /// The process running it, or that ran it last (`HOST:PID`: with several servers, which one).
    var runner: String?
    var started: String?
    var finished: String?
    var why: String?
    var error: String?
    var parent: String?
    var children: [DeploymentRecord]
    var columns: [Column] = []
    var rows: [TargetRow] = []
    var outputs: [Output] = []
    var notes: [[String: String]] = []
    var lines: [Line] = []
    var shown = 0
    var total = 0
    var lastSequence = 0
    /// Whether its events still come (the page follows them).
    var live: Bool

    var computed: [String: Any] {
        [
            "hasChildren": !children.isEmpty, "hasOutputs": !outputs.isEmpty, "hasNotes": !notes.isEmpty,
            "truncated": total > shown,
        ]
    }

    /// The element id of a task's cell on a target (the page's script finds cells by it).
    static func cellID(column: String, target: String) -> String { "ts-\(column)--\(target)" }

    /// A task's column: its step, or `step/task` when a step has several.
    static func column(step: String, task: String) -> String { step == task ? step : "\(step)/\(task)" }

    init(_ view: APIRouter.DeploymentView, log: LogTail) {
        let record = view.deployment
        id = view.id
        project = record?.project ?? view.queue?.project ?? ""
        environment = record?.environment ?? view.queue?.environment ?? ""
        state = view.state
        version = record?.version ?? Self.requested(view.queue)
        user = record?.user ?? view.queue?.requestedBy ?? ""
        runner = record.map { "\($0.host):\($0.pid)" }
        started = DashboardViews.time(record?.startedAt)
        finished = DashboardViews.time(record?.finishedAt)
        why = view.why
        error = record?.error
        parent = record?.parent
        children = view.children
        live = ["queued", "waiting", "running"].contains(view.state)
        fillTable(view.targetSteps)
        notes = view.notes.map { ["text": ($0.step.map { "\($0): " } ?? "") + $0.detail] }
        lines = log.lines.map { line in
            Line(
                stream: line.stream, target: line.target ?? "", prefix: line.target.map { "\($0) | " } ?? "",
                line: line.line)
        }
        shown = log.lines.count
        total = log.total
        lastSequence = log.lastSequence
    }

    /// The version a queued request asks for.
    private static func requested(_ queued: QueuedDeployment?) -> String {
        guard let text = queued?.request, let body = try? JSONDecoder().decode(DeployBody.self, from: Data(text.utf8))
        else { return "" }
        return body.version ?? body.release.map { "release \($0)" } ?? ""
    }

    private mutating func fillTable(_ steps: [TargetStepRecord]) {
        var columnKeys: [String] = []
        var targets: [String] = []
        var byCell: [String: TargetStepRecord] = [:]
        for step in steps {
            let key = Self.column(step: step.step, task: step.task)
            if !columnKeys.contains(key) { columnKeys.append(key) }
            if !targets.contains(step.target) { targets.append(step.target) }
            byCell[Self.cellID(column: key, target: step.target)] = step
            for (name, value) in (step.outputs ?? [:]).sorted(by: { $0.key < $1.key }) {
                outputs.append(Output(step: key, target: step.target, name: name, value: Expression.render(value)))
            }
        }
        columns = columnKeys.map { Column(key: $0, title: $0) }
        rows = targets.map { target in
            TargetRow(
                target: target,
                cells: columnKeys.map { key in
                    let id = Self.cellID(column: key, target: target)
                    guard let step = byCell[id] else { return TargetCell(id: id, status: "", title: "") }
                    let title = [
                        step.exitCode.map { "exit \($0)" }, step.message,
                        step.durationSeconds.map { String(format: "%.2f s", $0) },
                    ]
                    .compactMap { $0 }.joined(separator: " · ")
                    return TargetCell(id: id, status: step.status, title: title)
                })
        }
    }
}
