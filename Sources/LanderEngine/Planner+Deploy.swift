import LanderModel

extension Planner {
    /// The name a task that runs once per deployment (deploying another project) is recorded under: no
    /// target of a lander.yml can have it (`@` is not a character of target names).
    public static let orchestrator = "@lander"

    /// A task that runs once (`deploy:`, `wait_for:`) planned: one entry on the orchestrator.
    func orchestratorTask(
        _ task: StepTask, variables: [String: ConfigValue], environment: String, release: Release,
        _ problems: inout Problems
    ) -> PlannedTask {
        let work: PlannedTarget.Work
        switch task.action {
        case .deploy(let request):
            work = .deploy(
                resolved(task, request, variables: variables, environment: environment, release: release, &problems))
        case .waitFor(let request): work = .waitFor(request)
        case .run, .template: work = .run([])
        }
        let action: StepTask.Action =
            switch work {
            case .deploy(let request): .deploy(request)
            default: task.action
            }
        let planned = PlannedTarget(
            name: Self.orchestrator, roles: [], transport: .local(root: projectDirectory), root: projectDirectory,
            variables: variables, work: work, env: [:])
        return PlannedTask(
            name: task.name, role: "", action: action, options: task.options, targets: [planned],
            location: task.location)
    }

    /// A `deploy:` request with its version's `{{…}}` resolved with the project's, environment's and step's
    /// variables.
    private func resolved(
        _ task: StepTask, _ request: ProjectDeployment, variables: [String: ConfigValue], environment: String,
        release: Release, _ problems: inout Problems
    ) -> ProjectDeployment {
        var resolved = request
        let target = Target(name: Self.orchestrator, transport: .local(root: projectDirectory), roles: [])
        let scope = ExpressionScope(
            values: variables.merging(
                builtins(target: target, root: projectDirectory, environment: environment, release: release)
            ) { _, builtin in builtin })
        do throws(ExpressionError) {
            switch request.source {
            case .version(let text): resolved.source = .version(try Expression.resolve(text, in: scope))
            case .release(let text): resolved.source = .release(try Expression.resolve(text, in: scope))
            case .from: break
            }
        } catch {
            problems.add("\(error) (task '\(task.name)')", at: task.location, hint: nil)
        }
        return resolved
    }
}
