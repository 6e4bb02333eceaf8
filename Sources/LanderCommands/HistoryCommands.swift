import ArgumentParser
import Foundation
import LanderEngine
import LanderModel
import LanderService
import LanderStore

/// `lander history`: recorded deployments, newest first.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List recorded deployments, newest first.")

    @OptionGroup var location: StoreLocation

    @Option(name: [.customShort("e"), .long], help: "Only this environment.")
    var environment: String?

    @Option(name: .long, help: "Only this project.")
    var project: String?

    @Option(name: .long, help: "At most this many.")
    var limit = 50

    @OptionGroup var remote: ServerOptions

    func run() async throws {
        let records: [DeploymentRecord]
        let place: String
        if let client = try remote.client() {
            var query = ["limit=\(limit)"]
            if let project { query.append("project=\(project)") }
            if let environment { query.append("environment=\(environment)") }
            records = try await client.get([DeploymentRecord].self, "/deployments?" + query.joined(separator: "&"))
            place = client.base.absoluteString
        } else {
            let store = try location.store.open(projectDirectory: location.directory)
            do {
                records = try store.deployments(project: project, environment: environment, limit: limit)
            } catch {
                throw refuse(error)
            }
            place = store.path
        }
        if location.json { return printOutput(jsonText(records)) }
        if records.isEmpty { return printOutput("no deployments recorded in \(place)") }
        for record in records {
            let ended = record.finishedAt.map { " in " + seconds($0.timeIntervalSince(record.startedAt)) } ?? ""
            var line =
                "\(record.id)  \(shortTime(record.startedAt))  \(record.project) \(record.version) → "
                + "\(record.environment)  \(record.status)\(ended)  by \(record.user)"
            if record.kind != "deploy" { line += "  (\(record.kind))" }
            printOutput(line)
        }
    }
}

/// `lander show ID`: one deployment, its steps × targets with outcomes and durations.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a recorded deployment: every task on every target.")

    @Argument(help: "The deployment's id (or a unique prefix).")
    var id: String

    @OptionGroup var location: StoreLocation

    @OptionGroup var remote: ServerOptions

    private struct Shown: Encodable {
        var deployment: DeploymentRecord
        var targetSteps: [TargetStepRecord]
        var rollout: [RolloutRecord]
        var notes: [StepNote]
        var children: [DeploymentRecord]
        var calls: [CallAudit]
    }

    func run() async throws {
        if let client = try remote.client() {
            let view = try await client.get(RemoteDeploymentView.self, "/deployments/\(id)")
            guard let record = view.deployment else {
                return printOutput("deployment \(view.id): \(view.state)" + (view.why.map { ", \($0)" } ?? ""))
            }
            let shown = Shown(
                deployment: record, targetSteps: view.targetSteps, rollout: view.rollout, notes: view.notes,
                children: view.children, calls: view.calls)
            if location.json { return printOutput(jsonText(shown)) }
            printHeader(shown)
            return printSteps(shown)
        }
        let store = try location.store.open(projectDirectory: location.directory)
        let shown: Shown
        do {
            let record = try store.deployment(id)
            shown = Shown(
                deployment: record, targetSteps: try store.targetSteps(of: record.id),
                rollout: try store.rollout(of: record.id), notes: try store.notes(of: record.id),
                children: try store.children(of: record.id), calls: try store.audits(of: record.id))
        } catch {
            throw refuse(error)
        }
        if location.json { return printOutput(jsonText(shown)) }
        printHeader(shown)
        printSteps(shown)
    }

    /// The record, its parent and children, packages and the calls its targets made home.
    private func printHeader(_ shown: Shown) {
        let record = shown.deployment
        printOutput(
            "deployment \(record.id): \(record.project) \(record.version) → \(record.environment), \(record.kind)")
        printOutput("  status   \(record.status)" + (record.error.map { ": \($0)" } ?? ""))
        printOutput("  by       \(record.user) on \(record.host) (pid \(record.pid))")
        printOutput("  started  \(shortTime(record.startedAt))")
        if let finished = record.finishedAt {
            printOutput("  ended    \(shortTime(finished)) (\(seconds(finished.timeIntervalSince(record.startedAt))))")
        }
        if let note = record.note { printOutput("  note     \(note)") }
        if let parent = record.parent { printOutput("  parent   \(parent) (it started this deployment)") }
        for child in shown.children {
            printOutput(
                "  child    \(child.id): \(child.project) \(child.version) → \(child.environment), "
                    + (child.kind == "deploy" ? "" : "\(child.kind), ") + child.status
                    + (child.error.map { ": \($0)" } ?? "") + (child.note.map { " (\($0))" } ?? ""))
        }
        for call in shown.calls {
            let who = call.target ?? "(no valid token)"
            printOutput(
                "  call     \(shortTime(call.at))  \(who) → \(call.job ?? "?"): \(call.outcome)"
                    + (call.status == 200 ? "" : " (\(call.status))") + (call.detail.map { ": \($0)" } ?? "")
                    + (call.child.map { " → \($0)" } ?? ""))
        }
        for package in record.packages {
            printOutput("  package  \(package.id) \(package.version) (\(package.file), sha256 \(package.sha256))")
        }
    }

    /// Each step's targets with their outcomes and rollout moves, then skipped steps and hooks.
    private func printSteps(_ shown: Shown) {
        var current = ""
        for step in shown.targetSteps {
            let label = step.step == step.task ? step.step : "\(step.step)/\(step.task)"
            if label != current {
                printOutput("step \(label)")
                current = label
            }
            var line = "  \(step.target)  \(step.status)"
            if let duration = step.durationSeconds { line += " (\(seconds(duration)))" }
            if let code = step.exitCode { line += " exit \(code)" }
            if let message = step.message { line += ": \(message)" }
            printOutput(line)
            let moves = shown.rollout.filter { $0.step == step.step && $0.target == step.target }
            if let last = moves.last {
                printOutput(
                    "    rollout: " + moves.map(\.state).joined(separator: " → ")
                        + (last.detail.map { " (\($0))" } ?? ""))
            }
        }
        for note in shown.notes {
            switch note.kind {
            case "step_skipped": printOutput("step \(note.step ?? "?"): skipped, \(note.detail)")
            case "rollout_finished": printOutput("step \(note.step ?? "?"): rollout over, \(note.detail)")
            default: printOutput("hook \(note.detail)")
            }
        }
    }
}

/// `lander logs ID`: what a deployment's commands printed, and its scripts' log lines.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a recorded deployment's output (secrets masked).")

    @Argument(help: "The deployment's id (or a unique prefix).")
    var id: String

    @Option(name: .long, help: "Only this target.")
    var target: String?

    @Option(name: .long, help: "Only this step.")
    var step: String?

    @OptionGroup var location: StoreLocation

    @OptionGroup var remote: ServerOptions

    func run() async throws {
        let lines: [LogRecord]
        if let client = try remote.client() {
            var query: [String] = []
            if let target { query.append("target=\(target)") }
            if let step { query.append("step=\(step)") }
            lines = try await client.get([LogRecord].self, "/deployments/\(id)/logs?" + query.joined(separator: "&"))
        } else {
            let store = try location.store.open(projectDirectory: location.directory)
            do {
                let record = try store.deployment(id)
                lines = try store.logs(of: record.id, target: target, step: step)
            } catch {
                throw refuse(error)
            }
        }
        if location.json { return printOutput(jsonText(lines)) }
        for line in lines {
            let stream = line.stream == "stderr" ? "!" : line.stream == "log" ? "*" : "|"
            printOutput("\(line.target ?? "lander")  \(line.step ?? "-")  \(stream) \(line.line)")
        }
    }
}

/// `lander status`: running and interrupted deployments, and the holders and waiters of every lock.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show running and interrupted deployments and held locks.")

    @OptionGroup var location: StoreLocation

    @OptionGroup var remote: ServerOptions

    func run() async throws {
        let status: StoreStatus
        let place: String
        let workspace: Workspace?
        if let client = try remote.client() {
            status = try await client.get(StoreStatus.self, "/status")
            place = "server \(client.base.absoluteString)"
            workspace = nil
        } else {
            let store = try location.store.open(projectDirectory: location.directory)
            do {
                workspace = try Deployer.workspace(forProjectIn: location.directory)
            } catch {
                throw refusal(error)
            }
            do {
                status = try StoreStatus(workspace: workspace, store: store)
            } catch {
                throw refuse(error)
            }
            place = "state store \(store.path)"
        }
        print(status, place: place, members: workspace?.members.map(\.name))
    }

    private func print(_ status: StoreStatus, place: String, members: [String]?) {
        if location.json { return printOutput(jsonText(status)) }
        printOutput(place)
        if let grid = status.workspace {
            var names = members ?? []
            for cell in grid.cells where !names.contains(cell.project) { names.append(cell.project) }
            printOutput("workspace \(grid.workspace): \(names.count) projects")
            for line in grid.lines(members: names) { printOutput("  " + line) }
        }
        if status.running.isEmpty && status.interrupted.isEmpty { printOutput("no deployment running") }
        for record in status.running {
            printOutput(
                "running      \(record.id)  \(record.project) \(record.version) → \(record.environment)  since "
                    + "\(shortTime(record.startedAt))  pid \(record.pid) on \(record.host)")
        }
        for record in status.interrupted {
            printOutput(
                "interrupted  \(record.id)  \(record.project) \(record.version) → \(record.environment)  "
                    + "(lander resume \(record.id) | lander abandon \(record.id) --reason …)")
        }
        for claim in status.locks {
            let role = claim.holding ? "held by" : "wanted by"
            let kind = claim.limit == 1 ? "lock" : "semaphore (limit \(claim.limit))"
            printOutput(
                "\(kind) \(claim.name)  \(role) \(claim.owner), pid \(claim.pid) on \(claim.host) since "
                    + shortTime(claim.since))
        }
    }
}

/// `lander abandon ID --reason …`: gives up an interrupted deployment so the project can be deployed again.
struct AbandonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abandon", abstract: "Give up an interrupted deployment (its targets stay as they are).")

    @Argument(help: "The deployment's id (or a unique prefix).")
    var id: String

    @Option(name: .long, help: "Why; recorded with it.")
    var reason: String

    @Flag(
        name: .long,
        help: "Also let go of the locks it held for commands that may still run on other machines (check first).")
    var releaseLocks = false

    @OptionGroup var location: StoreLocation

    func run() async throws {
        let (record, held): (DeploymentRecord, [(lock: String, why: String)])
        do {
            (record, held) = try location.store.deployer.abandon(
                id, reason: reason, releaseLocks: releaseLocks, projectDirectory: location.directory)
        } catch {
            throw refusal(error)
        }
        if location.json { return printOutput(jsonText(record)) }
        printOutput("deployment \(record.id) abandoned: \(reason)")
        for (lock, why) in held {
            printError(
                "lander: lock '\(lock)' stays held: \(why). Once that has ended elsewhere: "
                    + "lander abandon \(record.id) --release-locks --reason …")
        }
    }
}
