import Foundation
public import LanderEngine
public import LanderModel
import LanderTransport

/// Prints a plan as text, JSON, a Mermaid flowchart or a Graphviz graph; secrets are masked in all of them.
/// The command line and the server (`POST /api/v1/plan`) print plans with it alike.
public struct PlanRenderer: Sendable {
    /// How a plan is printed.
    public enum Format: String, Sendable, CaseIterable {
        case text, json, mermaid, dot
    }

    /// The plan printed.
    public let plan: Plan

    /// A renderer of a plan.
    public init(plan: Plan) { self.plan = plan }

    /// The plan in a format, secrets masked.
    public func render(_ format: Format) -> String {
        let text: String
        switch format {
        case .text: text = self.text
        case .json: text = json
        case .mermaid: text = mermaid
        case .dot: text = dot
        }
        return plan.secrets.mask(text)
    }

    // MARK: Text

    private var text: String {
        var lines = [
            "\(plan.project) \(plan.release.version) → \(plan.environment): \(plural(plan.steps.count, "step")) on "
                + plural(plan.targets.count, "target")
        ]
        if !plan.packages.isEmpty {
            lines.append("")
            lines.append("packages (on every target before step 1):")
            for planned in plan.packages {
                let package = planned.package
                let pulling = planned.targets.filter { $0.acquisition.mode == .pull }.map(\.name)
                var how = "push"
                if !pulling.isEmpty {
                    how =
                        pulling.count == planned.targets.count
                        ? "pull" : "push, pull on " + pulling.joined(separator: ", ")
                }
                lines.append(
                    "  \(package.id) \(package.version)  \(package.file)  sha256 \(package.sha256.prefix(12))…  → "
                        + "\(planned.spec.destination) on \(plural(planned.targets.count, "target")) (\(how))")
            }
        }
        for (index, step) in plan.steps.enumerated() {
            lines.append("")
            lines.append("step \(index + 1): \(step.name)" + (step.tasks.count > 1 ? "  (tasks run in parallel)" : ""))
            if let policy = step.rolling { lines += rolling(policy, step.tasks, indent: "  ") }
            for task in step.tasks {
                let flags = flags(of: task.options)
                lines.append(
                    "  \(step.tasks.count > 1 ? "∥ " : "")task \(task.name) "
                        + (task.role.isEmpty
                            ? "(once, by lander itself)"
                            : "on \(task.role) (\(task.targets.count) target\(task.targets.count == 1 ? "" : "s"))")
                        + (flags.isEmpty ? "" : "  [" + flags.joined(separator: ", ") + "]"))
                for target in task.targets {
                    lines.append(
                        "      \(target.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(describe(target))"
                    )
                }
                if let policy = task.options.rolling { lines += rolling(policy, [task], indent: "    ") }
            }
        }
        if !plan.hooks.isEmpty {
            lines.append("")
            lines.append("hooks:")
            for point in HookPoint.allCases {
                let bound = plan.hooks.filter { $0.point == point }
                guard !bound.isEmpty else { continue }
                lines.append(
                    "  \(point.rawValue): "
                        + bound.map { $0.reference + ($0.critical ? " (critical)" : "") }.joined(separator: ", "))
            }
        }
        let variables = plan.variables.sorted { $0.key < $1.key }
        if !variables.isEmpty {
            lines.append("")
            lines.append("variables (project and environment; roles, targets and steps may override):")
            for (key, value) in variables { lines.append("  \(key) = \(Expression.render(value))") }
        }
        return lines.joined(separator: "\n")
    }

    /// The rollout's policy on one line, then its batches.
    private func rolling(_ policy: RollingPolicy, _ tasks: [PlannedTask], indent: String) -> [String] {
        var parts = ["precheck " + Self.name(policy.precheck)]
        if let drain = policy.drain {
            parts.append("drain \(Self.name(drain)) (at most \(policy.drainTimeout.formatted))")
        }
        parts.append("settle \(policy.settle.formatted)")
        parts.append("verify " + Self.name(policy.verify))
        if let fleet = policy.verifyFleet {
            parts.append("verify_fleet \(Self.name(fleet)), at most \(policy.maxStopped) stopped")
        }
        var lines = ["\(indent)rolling: " + parts.joined(separator: " · ")]
        for (number, batch) in policy.batches(of: tasks).enumerated() {
            lines.append("\(indent)  batch \(number + 1): " + batch.map(\.name).joined(separator: ", "))
        }
        return lines
    }

    private static func name(_ binding: RollingBinding?) -> String { binding?.reference ?? "none" }

    private func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

    private var width: Int { plan.targets.map(\.name.count).max() ?? 0 }

    private func describe(_ target: PlannedTarget) -> String {
        var env = target.env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value) " }.joined()
        if let ssh = Self.ssh(target) { env = "[ssh \(ssh)] " + env }
        switch target.work {
        case .run(let argv): return env + argv.map(Command.quoted).joined(separator: " ")
        case .template(let name, let parameters):
            let given = parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\(Expression.render($0.value))" }
            return env + "template \(name)" + (given.isEmpty ? "" : " with " + given.joined(separator: ", "))
        case .deploy(let request):
            return Self.describe(request)
        case .waitFor(let request):
            return Self.describe(request)
        }
    }

    /// A milestone wait in words: `wait for payments to reach 'schema-ready' (on_missing: fail)`.
    public static func describe(_ request: MilestoneWait) -> String {
        let environment = request.environment.map { " in \($0)" } ?? ""
        let timeout = request.timeout.map { ", timeout \($0.formatted)" } ?? ""
        return "wait for \(request.project) to reach '\(request.milestone)'\(environment) "
            + "(on_missing: \(request.onMissing.rawValue)\(timeout))"
    }

    /// A deploy-and-wait request in words: `deploy payments 2.4.0 to production (when: higher, waits)`.
    public static func describe(_ request: ProjectDeployment) -> String {
        let release: String =
            switch request.source {
            case .version(let version): version
            case .release(let release): "release \(release)"
            case .from(let environment): "the release of \(environment)"
            }
        var notes = ["when: \(request.when.rawValue)", request.wait ? "waits" : "does not wait"]
        if let timeout = request.timeout { notes.append("timeout \(timeout.formatted)") }
        let environment = request.environment.map { " to \($0)" } ?? ""
        return "deploy \(request.project) \(release)\(environment) (\(notes.joined(separator: ", ")))"
    }

    private func flags(of options: TaskOptions) -> [String] {
        var flags: [String] = []
        if !options.waitForFinish { flags.append("detached: later steps start while it runs") }
        if options.haltOnError { flags.append("halt_on_error") }
        if options.continueOnError { flags.append("continue_on_error") }
        if options.when != .success { flags.append("when: \(options.when.rawValue)") }
        if let timeout = options.timeout { flags.append("timeout \(timeout.formatted)") }
        if options.retries > 0 { flags.append("retries \(options.retries)") }
        if let parallelism = options.parallelism { flags.append("parallelism \(parallelism)") }
        return flags
    }

    // MARK: JSON

    private struct Document: Encodable {
        var project: String, environment: String, version: String
        var steps: [StepDocument]
        var hooks: [HookDocument]
        var variables: [String: String]
    }
    private struct StepDocument: Encodable {
        var name: String
        var rolling: RollingDocument?
        var tasks: [TaskDocument]
    }
    private struct RollingDocument: Encodable {
        var batches: [[String]]
        var precheck: String?, drain: String?, verify: String?, verifyFleet: String?, stopTarget: String?
        var drainTimeoutSeconds: Double, settleSeconds: Double, maxStopped: Int

        init(_ policy: RollingPolicy, _ tasks: [PlannedTask]) {
            batches = policy.batches(of: tasks).map { $0.map(\.name) }
            precheck = policy.precheck?.reference
            drain = policy.drain?.reference
            verify = policy.verify?.reference
            verifyFleet = policy.verifyFleet?.reference
            stopTarget = policy.stopTarget?.reference
            drainTimeoutSeconds = policy.drainTimeout.seconds
            settleSeconds = policy.settle.seconds
            maxStopped = policy.maxStopped
        }
    }
    private struct TaskDocument: Encodable {
        var name: String, role: String
        var haltOnError: Bool, waitForFinish: Bool, continueOnError: Bool
        var when: String
        var timeoutSeconds: Double?, retries: Int, parallelism: Int?
        var rolling: RollingDocument?
        var targets: [TargetDocument]
    }
    private struct TargetDocument: Encodable {
        var name: String, root: String
        var ssh: String?
        var variables: [String: String]
        var run: [String]?
        var template: String?
        var parameters: [String: String]?
        var deploy: String?
        var waitFor: String?
        var env: [String: String]
    }
    private struct HookDocument: Encodable {
        var point: String, hook: String, critical: Bool
    }

    private var json: String {
        let document = Document(
            project: plan.project, environment: plan.environment, version: plan.release.version,
            steps: plan.steps.map { step in
                StepDocument(
                    name: step.name, rolling: step.rolling.map { RollingDocument($0, step.tasks) },
                    tasks: step.tasks.map { task in
                        TaskDocument(
                            name: task.name, role: task.role, haltOnError: task.options.haltOnError,
                            waitForFinish: task.options.waitForFinish, continueOnError: task.options.continueOnError,
                            when: task.options.when.rawValue,
                            timeoutSeconds: task.options.timeout?.seconds,
                            retries: task.options.retries, parallelism: task.options.parallelism,
                            rolling: task.options.rolling.map { RollingDocument($0, [task]) },
                            targets: task.targets.map(targetDocument))
                    })
            },
            hooks: plan.hooks.map { HookDocument(point: $0.point.rawValue, hook: $0.reference, critical: $0.critical) },
            variables: plan.variables.mapValues(Expression.render))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(document) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    private func targetDocument(_ target: PlannedTarget) -> TargetDocument {
        switch target.work {
        case .run(let argv):
            TargetDocument(
                name: target.name, root: target.root, variables: target.variables.mapValues(Expression.render),
                run: argv,
                env: target.env)
        case .template(let name, let parameters):
            TargetDocument(
                name: target.name, root: target.root, ssh: Self.ssh(target),
                variables: target.variables.mapValues(Expression.render), template: name,
                parameters: parameters.mapValues(Expression.render), env: target.env)
        case .deploy(let request):
            TargetDocument(
                name: target.name, root: target.root, variables: target.variables.mapValues(Expression.render),
                deploy: Self.describe(request), env: target.env)
        case .waitFor(let request):
            TargetDocument(
                name: target.name, root: target.root, variables: target.variables.mapValues(Expression.render),
                waitFor: Self.describe(request), env: target.env)
        }
    }

    /// `user@host:port via jump` for an SSH target, nil for a local one.
    private static func ssh(_ target: PlannedTarget) -> String? {
        guard case .ssh(let endpoint, _) = target.transport else { return nil }
        var text = (endpoint.user.map { $0 + "@" } ?? "") + endpoint.destination
        if let port = endpoint.port { text += ":\(port)" }
        if let jump = endpoint.jump { text += " via \(jump)" }
        return text
    }

    // MARK: Graphs

    /// The seed's picture: steps one after another, a step's tasks side by side, detached tasks running on
    /// beside later steps until the deployment's end.
    private var mermaid: String {
        var lines = ["flowchart LR", "    start((start))"]
        var gate = "start"
        for (index, step) in plan.steps.enumerated() {
            let next = index == plan.steps.count - 1 ? "done" : "g\(index + 1)"
            lines.append("    subgraph s\(index + 1)[\"\(index + 1). \(Self.mermaidEscape(step.name))\"]")
            for (position, task) in step.tasks.enumerated() {
                let text = label(task, separator: "<br/>", escape: Self.mermaidEscape)
                lines.append("        t\(index + 1)_\(position + 1)[\"\(text)\"]")
            }
            lines.append("    end")
            for (position, task) in step.tasks.enumerated() {
                let node = "t\(index + 1)_\(position + 1)"
                lines.append("    \(gate) --> \(node)")
                lines.append(task.options.waitForFinish ? "    \(node) --> \(next)" : "    \(node) -. runs on .-> done")
            }
            if step.tasks.allSatisfy({ !$0.options.waitForFinish }) { lines.append("    \(gate) --> \(next)") }
            if next != "done" { lines.append("    \(next)(( ))") }
            gate = next
        }
        lines.append("    done((done))")
        return lines.joined(separator: "\n")
    }

    private var dot: String {
        var lines = [
            "digraph \"\(Self.dotEscape(plan.project))\" {", "    rankdir=LR;", "    node [shape=box, style=rounded];",
            "    start [shape=circle];", "    done [shape=doublecircle];",
        ]
        var gate = "start"
        for (index, step) in plan.steps.enumerated() {
            let next = index == plan.steps.count - 1 ? "done" : "g\(index + 1)"
            lines.append("    subgraph cluster_\(index + 1) {")
            lines.append("        label=\"\(index + 1). \(Self.dotEscape(step.name))\";")
            for (position, task) in step.tasks.enumerated() {
                let text = label(task, separator: "\\n", escape: Self.dotEscape)
                lines.append("        t\(index + 1)_\(position + 1) [label=\"\(text)\"];")
            }
            lines.append("    }")
            if next != "done" { lines.append("    \(next) [shape=point];") }
            for (position, task) in step.tasks.enumerated() {
                let node = "t\(index + 1)_\(position + 1)"
                lines.append("    \(gate) -> \(node);")
                lines.append(
                    task.options.waitForFinish
                        ? "    \(node) -> \(next);" : "    \(node) -> done [style=dashed, label=\"runs on\"];")
            }
            if step.tasks.allSatisfy({ !$0.options.waitForFinish }) { lines.append("    \(gate) -> \(next);") }
            gate = next
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    private func label(_ task: PlannedTask, separator: String, escape: (String) -> String) -> String {
        var parts = [escape(task.name), "on \(escape(task.role)) · \(plural(task.targets.count, "target"))"]
        let flags = flags(of: task.options).filter { !$0.hasPrefix("detached") }
        if !flags.isEmpty { parts.append(escape(flags.joined(separator: ", "))) }
        return parts.joined(separator: separator)
    }

    /// Text inside a quoted Mermaid label: `"` as the `#quot;` entity, `<`/`>` as `#lt;`/`#gt;`.
    static func mermaidEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "#", with: "#35;").replacingOccurrences(of: "\"", with: "#quot;")
            .replacingOccurrences(of: "<", with: "#lt;").replacingOccurrences(of: ">", with: "#gt;")
    }

    /// Text inside a quoted Graphviz string: `\` and `"` escaped with a backslash.
    static func dotEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
