import LanderModel
import Yams

extension ProjectLoader {
    static let jobKeys = ["callers", "steps", "deploy", "per_call", "timeout", "variables"]

    /// `jobs: { NAME: { callers: [ROLE…], steps: […] | deploy: {project, version | release | from},
    /// per_call, timeout } }`: what targets may ask for while a deployment runs.
    static func jobs(_ node: Node, _ reader: inout NodeReader) -> [Job] {
        reader.named(node, in: "jobs").compactMap { name, jobNode, _ in job(name, jobNode, &reader) }
    }

    private static func job(_ name: String, _ node: Node, _ reader: inout NodeReader) -> Job? {
        let context = "job '\(name)'"
        guard let pairs = reader.mapping(node, in: context, allowed: jobKeys) else { return nil }
        let fields = Dictionary(pairs.map { ($0.key, $0.node) }, uniquingKeysWith: { first, _ in first })
        let callers = fields["callers"].flatMap { reader.strings($0, "callers of \(context)") } ?? []
        if fields["callers"] == nil || callers.isEmpty {
            reader.report(
                "\(context) names no callers", at: fields["callers"] ?? node,
                hint: "say which roles' targets may ask for it: callers: [app]")
        }
        let work: Job.Work
        switch (fields["steps"], fields["deploy"]) {
        case (let steps?, nil):
            let list = self.steps(steps, &reader)
            if list.isEmpty, steps.sequence?.isEmpty == true { reader.report("\(context) has no steps", at: steps) }
            work = .steps(list)
        case (nil, let deploy?):
            guard let request = projectJob(deploy, in: context, &reader) else { return nil }
            work = .project(request)
        case (.some, .some):
            reader.report("\(context) has both steps: and deploy:", at: node, hint: "a job does one of them")
            return nil
        case (nil, nil):
            reader.report(
                "\(context) does nothing", at: node,
                hint: "give it steps: (run only when asked for) or deploy: { project: OTHER, from: test }")
            return nil
        }
        var job = Job(name: name, work: work, callers: callers, location: reader.location(node))
        if let variables = fields["variables"] { job.variables = reader.variables(variables, in: context) }
        if let perCall = fields["per_call"] { job.perCall = reader.bool(perCall, "per_call of \(context)") ?? false }
        if let timeout = fields["timeout"], let duration = reader.duration(timeout, "timeout of \(context)") {
            job.timeout = duration
        }
        return job
    }

    /// A job's `deploy:`: the other project and its release; the environment is always the caller's.
    private static func projectJob(_ node: Node, in context: String, _ reader: inout NodeReader)
        -> ProjectDeployment?
    {
        if let pairs = node.mapping {
            for (key, _) in pairs
            where ["environment", "wait", "compensate", "timeout"].contains(key.scalar?.string ?? "") {
                reader.report(
                    "\(context) deploys in the caller's own environment and waits for the end: drop "
                        + "\(key.scalar?.string ?? ""):", at: key, hint: "the job's own timeout: limits it")
            }
        }
        guard
            let task = deployTask(
                ["deploy": node], node: node, name: context, context: context, options: TaskOptions(), &reader),
            case .deploy(let request) = task.action
        else { return nil }
        return request
    }
}
