import LanderEngine
import LanderModel

/// `lander.deploy{…}`, `lander.try_deploy{…}` and `lander.wait_for{…}`: what `deploy:` and `wait_for:` tasks
/// do, from a template, through the deployment's `ChildDeployments`.
struct ChildAPI {
    let children: any ChildDeployments
    let context: TaskContext

    func install(in runtime: LuaRuntime) {
        let children = self.children
        let context = self.context
        let progress: @Sendable (String) -> Void = { line in
            context.events(
                .log(level: .info, message: line, target: context.target.name, step: context.step, task: context.task))
        }
        runtime.registerInternal("deploy_child", displayName: "lander.deploy") { arguments in
            let request = try Self.deployRequest(arguments.first, context)
            let result = try await children.deployAndWait(request, progress: progress)
            if result.status == .deployed, result.outcome != .succeeded {
                throw HostFailure(
                    "\(request.project) deployment \(result.id ?? "?") \(result.outcome.rawValue): "
                        + (result.error ?? "no error given"))
            }
            return [LuaValue.table(result.outputs)]
        }
        runtime.registerInternal("wait_milestone", displayName: "lander.wait_for") { arguments in
            let (request, environment) = try Self.waitRequest(arguments.first, context)
            let result = try await children.waitFor(request, environment: environment, progress: progress) { what in
                context.events(.waiting(step: context.step, task: context.task, for: what))
            }
            progress(result.summary)
            if case .ended = result.state, request.onMissing == .fail { throw HostFailure(result.summary) }
            return [LuaValue.table(result.outputs)]
        }
    }

    /// `{ project = "payments", version = "2.4" | release = … | from = "test", environment, when, wait }`.
    static func deployRequest(_ spec: LuaValue?, _ context: TaskContext) throws -> ChildDeploymentRequest {
        guard case .map(let fields)? = spec, let project = fields["project"]?.stringValue, !project.isEmpty else {
            throw HostFailure("lander.deploy needs a table with project = NAME and version = V (or release, from)")
        }
        let source: ProjectDeployment.Source
        if let version = fields["version"]?.stringValue {
            source = .version(version)
        } else if let release = fields["release"]?.stringValue {
            source = .release(release)
        } else if let environment = fields["from"]?.stringValue {
            source = .from(environment: environment)
        } else {
            throw HostFailure("lander.deploy of \(project) needs version, release or from")
        }
        let whenText = fields["when"]?.stringValue ?? "always"
        guard let when = ProjectDeployment.Condition(rawValue: whenText) else {
            throw HostFailure(
                "lander.deploy: unknown when '\(whenText)'; use always, not_current, higher or not_deployed")
        }
        var request = ChildDeploymentRequest(
            project: project, environment: fields["environment"]?.stringValue ?? context.environment, source: source,
            when: when, parent: context.target.env["LANDER_DEPLOYMENT"] ?? "")
        if case .boolean(let wait)? = fields["wait"] { request.wait = wait }
        return request
    }

    /// `{ project = "db", milestone = "schema-ready" | step = "migrate", environment, on_missing }`.
    static func waitRequest(_ spec: LuaValue?, _ context: TaskContext) throws -> (MilestoneWait, String) {
        guard case .map(let fields)? = spec, let project = fields["project"]?.stringValue, !project.isEmpty else {
            throw HostFailure("lander.wait_for needs a table with project = NAME and milestone = NAME (or step)")
        }
        let milestone: String
        if let name = fields["milestone"]?.stringValue {
            milestone = name
        } else if let step = fields["step"]?.stringValue {
            milestone = "step:" + step
        } else {
            throw HostFailure("lander.wait_for of \(project) needs milestone or step")
        }
        var request = MilestoneWait(project: project, milestone: milestone)
        if let missing = fields["on_missing"]?.stringValue {
            guard let choice = MilestoneWait.Missing(rawValue: missing) else {
                throw HostFailure("lander.wait_for: on_missing is fail or continue, not '\(missing)'")
            }
            request.onMissing = choice
        }
        return (request, fields["environment"]?.stringValue ?? context.environment)
    }
}
