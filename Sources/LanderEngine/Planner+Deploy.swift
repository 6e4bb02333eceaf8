import LanderModel

extension Planner {
    /// The name a task that runs once per deployment (deploying another project) is recorded under: no
    /// target of a lander.yml can have it (`@` is not a character of target names).
    public static let orchestrator = "@lander"

    /// A `deploy:` task planned: one entry on the orchestrator, its version's `{{…}}` resolved with the
    /// project's, environment's and step's variables.
    func orchestratorTask(
        _ task: StepTask, _ request: ProjectDeployment, variables: [String: ConfigValue], environment: String,
        release: Release, _ problems: inout Problems
    ) -> PlannedTask {
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
        let planned = PlannedTarget(
            name: Self.orchestrator, roles: [], transport: .local(root: projectDirectory), root: projectDirectory,
            variables: variables,
            work: .deploy(resolved), env: [:])
        return PlannedTask(
            name: task.name, role: "", action: .deploy(resolved), options: task.options, targets: [planned],
            location: task.location)
    }
}
