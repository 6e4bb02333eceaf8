import LanderModel
import Yams

extension ProjectLoader {
    static let deployKeys = [
        "project", "version", "release", "from", "environment", "when", "wait", "timeout", "compensate",
    ]

    /// `deploy: { project, version | release | from, environment, when, wait, timeout }`: a task deploying
    /// another project of the workspace, once per deployment (it names no role).
    static func deployTask(
        _ fields: [String: Node], node: Node, name: String, context: String, options: TaskOptions,
        _ reader: inout NodeReader
    ) -> StepTask? {
        guard let deploy = fields["deploy"] else { return nil }
        for key in ["run", "template", "with"] where fields[key] != nil {
            reader.report("\(context) has both deploy: and \(key):", at: node, hint: "a task does one of them")
        }
        if let role = fields["on"] {
            reader.report(
                "\(context) deploys another project, which runs once and on no target: drop on:", at: role)
        }
        guard let pairs = reader.mapping(deploy, in: "deploy: of \(context)", allowed: deployKeys) else { return nil }
        let given = Dictionary(pairs.map { ($0.key, $0.node) }, uniquingKeysWith: { first, _ in first })
        guard let project = given["project"].flatMap({ reader.string($0, "project of \(context)") }) else {
            reader.report(
                "deploy: of \(context) names no project", at: deploy,
                hint: "deploy: { project: payments, version: \"{{release.version}}\" }")
            return nil
        }
        let sources = ["version", "release", "from"].filter { given[$0] != nil }
        guard sources.count == 1, let key = sources.first,
            let text = given[key].flatMap({
                reader.string($0, "\(key) of \(context)")
            })
        else {
            reader.report(
                "deploy: of \(context) needs exactly one of version:, release: or from:", at: deploy,
                hint: "version: \"{{release.version}}\", release: 2.4, or from: test (what test runs)")
            return nil
        }
        let source: ProjectDeployment.Source =
            switch key {
            case "version": .version(text)
            case "release": .release(text)
            default: .from(environment: text)
            }
        var request = ProjectDeployment(project: project, source: source)
        request.environment = given["environment"].flatMap { reader.string($0, "environment of \(context)") }
        if let when = given["when"], let text = reader.string(when, "when of deploy: of \(context)") {
            if let condition = ProjectDeployment.Condition(rawValue: text) {
                request.when = condition
            } else {
                reader.report(
                    "unknown when: '\(text)' in deploy: of \(context)", at: when,
                    hint: Suggestion.hint(
                        for: text, in: ProjectDeployment.Condition.allCases.map(\.rawValue), listing: "conditions are"))
            }
        }
        if let wait = given["wait"] { request.wait = reader.bool(wait, "wait of \(context)") ?? true }
        if let timeout = given["timeout"] { request.timeout = reader.duration(timeout, "timeout of \(context)") }
        if let compensate = given["compensate"] {
            request.compensate = reader.bool(compensate, "compensate of \(context)") ?? false
        }
        return StepTask(
            name: name, role: "", action: .deploy(request), options: options, location: reader.location(node))
    }
}

extension ProjectLoader {
    static let waitKeys = ["project", "milestone", "step", "environment", "timeout", "on_missing"]

    /// `wait_for: { project, milestone | step, environment, timeout, on_missing: fail | continue }`.
    static func waitTask(
        _ fields: [String: Node], node: Node, name: String, context: String, options: TaskOptions,
        _ reader: inout NodeReader
    ) -> StepTask? {
        guard let wait = fields["wait_for"] else { return nil }
        for key in ["run", "template", "with", "deploy", "on"] where fields[key] != nil {
            reader.report(
                "\(context) has both wait_for: and \(key):", at: node,
                hint: "a wait runs once, by lander itself, and does nothing else")
        }
        guard let pairs = reader.mapping(wait, in: "wait_for: of \(context)", allowed: waitKeys) else { return nil }
        let given = Dictionary(pairs.map { ($0.key, $0.node) }, uniquingKeysWith: { first, _ in first })
        guard let project = given["project"].flatMap({ reader.string($0, "project of \(context)") }) else {
            reader.report(
                "wait_for: of \(context) names no project", at: wait,
                hint: "wait_for: { project: payments, milestone: schema-ready }")
            return nil
        }
        let milestone: String
        switch (given["milestone"], given["step"]) {
        case (let named?, nil): milestone = reader.string(named, "milestone of \(context)") ?? ""
        case (nil, let step?): milestone = "step:" + (reader.string(step, "step of \(context)") ?? "")
        default:
            reader.report(
                "wait_for: of \(context) needs exactly one of milestone: or step:", at: wait,
                hint: "milestone: schema-ready (a step's milestone: or ctx.milestone), or step: migrate")
            return nil
        }
        var request = MilestoneWait(project: project, milestone: milestone)
        request.environment = given["environment"].flatMap { reader.string($0, "environment of \(context)") }
        if let timeout = given["timeout"] { request.timeout = reader.duration(timeout, "timeout of \(context)") }
        if let missing = given["on_missing"], let text = reader.string(missing, "on_missing of \(context)") {
            if let choice = MilestoneWait.Missing(rawValue: text) {
                request.onMissing = choice
            } else {
                reader.report("unknown on_missing: '\(text)' in \(context)", at: missing, hint: "use fail or continue")
            }
        }
        return StepTask(
            name: name, role: "", action: .waitFor(request), options: options, location: reader.location(node))
    }
}

extension ProjectLoader {
    /// `requires: { payments: ">= 2.3, < 3" }`.
    static func requirements(_ node: Node, _ reader: inout NodeReader) -> [Requirement] {
        var requirements: [Requirement] = []
        for (project, value, keyNode) in reader.named(node, in: "requires") {
            guard let text = reader.string(value, "the range required of \(project)") else { continue }
            switch VersionRange.parse(text) {
            case .success(let range):
                requirements.append(Requirement(project: project, range: range, location: reader.location(keyNode)))
            case .failure(let error):
                reader.report(
                    "requires: \(project): \(error.message)", at: value,
                    hint: "write comparisons joined by commas, e.g. \">= 2.3, < 3\"")
            }
        }
        return requirements
    }
}
