import Foundation
import LanderEngine
import Synchronization

/// Shows a deployment's events: a live board on a terminal, plain lines in logs, or JSON lines for tools.
final class Reporter: Sendable {
    /// How events are shown.
    enum Style { case live, plain, json }

    let style: Style
    let verbose: Bool
    private let board = Mutex(Board())
    private let started = ContinuousClock.now

    init(style: Style, verbose: Bool) {
        self.style = style
        self.verbose = verbose
    }

    /// Called for every event, from many tasks at once.
    func handle(_ envelope: EventEnvelope) {
        let event = envelope.event
        // The project lock, before the deployment starts: someone else is deploying the project.
        if case .waitingForLock(let name, let holders, "", nil) = event, name.hasPrefix("deploy:") {
            let what = name.dropFirst("deploy:".count).replacingOccurrences(of: "/", with: " → ")
            return note("waiting: \(what) is being deployed by \(holders)")
        }
        switch style {
        case .json: printOutput(envelope.json)
        case .plain: if let line = plainLine(event) { printOutput(line) }
        case .live: live(event)
        }
    }

    /// A remark of Lander's own (e.g. a signal arrived).
    func note(_ text: String) {
        if style == .json {
            printOutput(
                EventEnvelope(deployment: "", sequence: 0, event: .log(level: .warn, message: text, target: nil)).json)
        } else {
            printError("lander: \(text)")
        }
    }

    /// Prints the closing summary.
    func finish(_ report: DeploymentReport) {
        if style == .live { board.withLock { $0.redraw(force: true) } }
        guard style != .json else { return }
        let runs = report.records.count
        let failed = report.records.filter { if case .failed = $0.outcome { true } else { false } }
        var line =
            "deployment \(report.id) \(report.outcome.rawValue) in \(report.duration.formatted): \(runs) task runs"
        if !failed.isEmpty { line += ", \(failed.count) failed" }
        let skipped = Set(report.records.filter { $0.outcome == .skipped }.map(\.target))
        if !skipped.isEmpty {
            line +=
                ", skipped on \(skipped.count) target\(skipped.count == 1 ? "" : "s"): "
                + skipped.sorted().joined(separator: ", ")
        }
        if !report.notUpdated.isEmpty {
            let names = Set(report.notUpdated.map(\.target))
            line += "; \(names.count) target\(names.count == 1 ? "" : "s") not on the new version"
        }
        printOutput(line)
        for entry in report.notUpdated {
            let state = entry.state == "in_pool" ? "still serving another version" : entry.state
            printOutput(
                "  not updated: \(entry.target) (step \(entry.step)): \(state)" + (entry.detail.map { ", \($0)" } ?? "")
            )
        }
        if let error = report.error { printError("lander: \(error)") }
        for hookError in report.hookErrors where hookError != report.error { printError("lander: also: \(hookError)") }
    }

    // MARK: Plain

    private func plainLine(_ event: DeploymentEvent) -> String? {
        switch event {
        case .deploymentQueued:
            return nil  // the client said so when it queued the deployment
        case .deploymentStarted(let id, let project, let environment, let version, let steps, let targets):
            let counts = "\(steps) step\(steps == 1 ? "" : "s") on \(targets) target\(targets == 1 ? "" : "s")"
            return "deployment \(id): \(project) \(version) → \(environment), \(counts)"
        case .stepStarted(let step, let tasks, let detached):
            let note =
                detached.isEmpty
                ? "" : "; detached, later steps start while it runs: " + detached.joined(separator: ", ")
            return "step \(step): started (\(tasks.joined(separator: ", "))\(note))"
        case .stepSkipped(let step, let reason):
            return "step \(step): skipped, \(reason)"
        case .targetStarted(let step, let task, let target):
            return verbose ? "  \(target)  \(label(step, task))  started" : nil
        case .output(let step, let task, let target, let line, let isError):
            return verbose ? "  \(target)  \(label(step, task))  \(isError ? "!" : "|") \(line)" : nil
        case .log(let level, let message, let target, _, _):
            return "  \(target ?? "lander")  [\(level.rawValue)] \(message)"
        case .retrying(let step, let task, let target, let attempt, let error, let delay):
            return
                "  \(target)  \(label(step, task))  attempt \(attempt) failed (\(error)); retrying in \(delay.formatted)"
        case .targetFinished(let step, let task, let target, let outcome, let duration, _, let earlier):
            let when = earlier ? "done by the interrupted run" : duration.formatted
            var line = "  \(target)  \(label(step, task))  \(outcome.word) (\(when))"
            if case .failed(let message) = outcome { line += ": \(message)" }
            if case .tolerated(let message) = outcome { line += ": \(message)" }
            return line
        case .stepFinished(let step, let succeeded, let duration, let cancelled):
            return
                "step \(step): \(cancelled ? "cancelled" : succeeded ? "finished" : "failed") (\(duration.formatted))"
        case .targetState(let step, let target, let state, let detail):
            return "  \(target)  \(step)  rolling: \(state.rawValue)" + (detail.map { " (\($0))" } ?? "")
        case .rolloutFinished(let step, let version, let targets, let notUpdated):
            return "step \(step): rollout over, " + NotUpdatedTarget.summary(notUpdated, of: targets, version: version)
        case .sessionOpened(let target, let name, let pid, _, _):
            return verbose ? "  \(target)  session \(name) opened (pid \(pid))" : nil
        case .sessionClosed(let target, let name):
            return verbose ? "  \(target)  session \(name) closed" : nil
        case .waitingForLock(let name, let holders, let step, let task):
            let who = task.map { label(step, $0) } ?? "step \(step)"
            return "\(who): waiting for lock '\(name)' (held by \(holders))"
        case .hookStarted:
            return nil
        case .hookFinished(let point, let hook, let error, let critical):
            guard let error else { return "hook \(point.rawValue) \(hook): ok" }
            return "hook \(point.rawValue) \(hook): failed\(critical ? "" : " (not critical)"): \(error)"
        case .waiting:
            return nil  // the task's own log line says it
        case .milestone(let name, _):
            // Every step reaches `step:NAME`; only named milestones are worth a line, and verbosely those too.
            return name.hasPrefix("step:") && !verbose ? nil : "milestone '\(name)' reached"
        case .call(let target, let job, let status, let outcome, let detail, let child):
            let who = target ?? "a caller with no valid token"
            let what = job.map { "job '\($0)'" } ?? "a job"
            switch outcome {
            case "refused": return "\(who) asked for \(what): refused (\(status)): \(detail ?? "")"
            case "called": return "\(who) called \(what)" + (child.map { " → deployment \($0)" } ?? "")
            case "joined": return verbose ? "\(who) joined the run of \(what)" : nil
            default: return "\(what) for \(who): \(outcome)" + (detail.map { ": \($0)" } ?? "")
            }
        case .deploymentFinished:
            return nil
        }
    }

    private func label(_ step: String, _ task: String) -> String { step == task ? step : "\(step)/\(task)" }

    // MARK: Live

    private func live(_ event: DeploymentEvent) {
        board.withLock { board in
            switch event {
            case .targetStarted(let step, let task, let target):
                board.set(target, task: label(step, task), state: "running", finished: false)
            case .retrying(let step, let task, let target, let attempt, _, let delay):
                board.set(
                    target, task: label(step, task), state: "retrying (\(attempt)) in \(delay.formatted)",
                    finished: false)
            case .targetFinished(let step, let task, let target, let outcome, let duration, _, let earlier):
                var state = "\(outcome.word) \(earlier ? "(done by the interrupted run)" : duration.formatted)"
                if case .failed(let message) = outcome { state += ": \(message)" }
                board.set(target, task: label(step, task), state: state, finished: true)
            case .targetState(let step, let target, let state, let detail):
                // A rolling target's row shows where it is; it leaves the board back in the pool (or out).
                let ended: Set<RolloutState> = [.inPool, .leftOut, .skipped, .stopped]
                board.set(
                    target, task: "\(step) rollout", state: state.rawValue + (detail.map { ": \($0)" } ?? ""),
                    finished: ended.contains(state), succeeded: state == .inPool)
            case .stepFinished, .stepSkipped, .deploymentStarted, .deploymentQueued, .hookFinished, .log, .stepStarted,
                .waitingForLock:
                if let line = plainLine(event) { board.commit(line) }
                return
            default:
                return
            }
            board.redraw(force: false)
        }
    }
}

/// The live board: a line per target of the running step, redrawn in place.
private struct Board {
    struct Row {
        var key: String
        var text: String
        var finished: Bool
    }
    var rows: [Row] = []
    var index: [String: Int] = [:]
    var drawn = 0
    var lastDraw = ContinuousClock.now - .seconds(1)
    let limit = 20

    mutating func set(_ target: String, task: String, state: String, finished: Bool, succeeded: Bool? = nil) {
        let key = target + "\u{0}" + task
        let mark = finished ? ((succeeded ?? state.hasPrefix("ok")) ? "✔" : "✘") : "…"
        let row = Row(key: key, text: "  \(mark) \(target)  \(task)  \(state)", finished: finished)
        if let position = index[key] {
            rows[position] = row
        } else {
            index[key] = rows.count
            rows.append(row)
        }
    }

    /// Prints a line above the board; finished rows leave the board (failures stay printed above it).
    mutating func commit(_ line: String) {
        erase()
        printOutput(line)
        for row in rows where row.finished && !row.text.contains("✔") { printOutput(row.text) }
        rows.removeAll(where: \.finished)
        index = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1.key, $0) })
        redraw(force: true)
    }

    mutating func redraw(force: Bool) {
        let now = ContinuousClock.now
        guard force || now - lastDraw > .milliseconds(80) else { return }
        lastDraw = now
        erase()
        var lines = rows.prefix(limit).map(\.text)
        if rows.count > limit {
            let rest = rows.dropFirst(limit)
            let done = rest.filter(\.finished).count
            lines.append("  … and \(rest.count) more: \(done) finished, \(rest.count - done) running")
        }
        if !lines.isEmpty { printOutput(lines.joined(separator: "\n")) }
        drawn = lines.count
    }

    private mutating func erase() {
        guard drawn > 0 else { return }
        StandardStream.output.write("\u{1B}[\(drawn)A\u{1B}[J")
        drawn = 0
    }
}
