import LanderModel

extension Deployment {
    /// A `deploy:` task: the other project deployed through `children` (its own record, lock and hooks),
    /// its steps told in this deployment's output, its failure this task's; the task's outputs say how it
    /// went (`status`, `id`, `version`, `outcome`, `reason`).
    func deployChild(_ request: ProjectDeployment, task: PlannedTask, step: String) async throws(AttemptFailure)
        -> [String: ConfigValue]
    {
        guard let children else {
            throw AttemptFailure(
                message: "task '\(task.name)' deploys \(request.project), but this deployment cannot start others")
        }
        var asked = ChildDeploymentRequest(
            project: request.project, environment: request.environment ?? plan.environment, source: request.source,
            when: request.when, wait: request.wait, parent: id)
        asked.compensate = request.compensate
        let child = asked
        let events = self.events
        let progress: @Sendable (String) -> Void = { line in
            events(.log(level: .info, message: line, target: Planner.orchestrator, step: step, task: task.name))
        }
        let limit = request.timeout ?? task.options.timeout
        let result: ChildDeploymentResult
        do {
            result = try await Self.within(limit) { try await children.deployAndWait(child, progress: progress) }
        } catch is ChildTimeout {
            throw AttemptFailure(
                message: "deploying \(request.project) timed out after \(limit?.formatted ?? "?") and was cancelled")
        } catch is CancellationError {
            throw AttemptFailure(message: "deploying \(request.project) was cancelled", cancelled: true)
        } catch {
            throw AttemptFailure(message: "\(request.project) could not be deployed: \(error)")
        }
        switch (result.status, result.outcome) {
        case (.skipped, _):
            progress("\(request.project): not deployed (\(result.reason ?? "not needed"))")
        case (_, .succeeded): break
        case (_, .cancelled):
            throw AttemptFailure(
                message: "\(request.project) deployment \(result.id ?? "?") was cancelled", cancelled: true)
        case (_, .failed):
            throw AttemptFailure(
                message: "\(request.project) deployment \(result.id ?? "?") failed: \(result.error ?? "no error given")"
            )
        }
        return result.outputs
    }

    /// The work, or `ChildTimeout` once `limit` passed (the work is cancelled then).
    static func within<T: Sendable>(_ limit: Duration?, _ work: @escaping @Sendable () async throws -> T)
        async throws -> T
    {
        guard let limit else { return try await work() }
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw ChildTimeout()
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw ChildTimeout() }
            return first
        }
    }
}

/// A child deployment outlived its task's timeout.
struct ChildTimeout: Error {}

extension Deployment {
    /// A `wait_for:` task: goes on at once when the other project is not running in the environment or has
    /// passed the milestone (and says which), else waits without spinning; fails with that deployment's id
    /// and error when it ends without the milestone, unless `on_missing: continue`.
    func waitForMilestone(_ request: MilestoneWait, task: PlannedTask, step: String) async throws(AttemptFailure)
        -> [String: ConfigValue]
    {
        guard let children else {
            throw AttemptFailure(
                message: "task '\(task.name)' waits for \(request.project), but this deployment cannot watch others")
        }
        let events = self.events
        let progress: @Sendable (String) -> Void = { line in
            events(.log(level: .info, message: line, target: Planner.orchestrator, step: step, task: task.name))
        }
        let environment = request.environment ?? plan.environment
        let limit = request.timeout ?? task.options.timeout
        let result: MilestoneResult
        do {
            result = try await Self.within(limit) {
                try await children.waitFor(request, environment: environment, progress: progress) { what in
                    events(.waiting(step: step, task: task.name, for: what))
                }
            }
        } catch is ChildTimeout {
            throw AttemptFailure(
                message: "\(request.project) did not reach '\(request.milestone)' in \(environment) within "
                    + (limit?.formatted ?? "?"))
        } catch is CancellationError {
            throw AttemptFailure(message: "the wait for \(request.project) was cancelled", cancelled: true)
        } catch {
            throw AttemptFailure(message: "cannot wait for \(request.project): \(error)")
        }
        progress(result.summary)
        if case .ended(let id, let outcome, let error) = result.state, request.onMissing == .fail {
            throw AttemptFailure(
                message: "\(request.project) deployment \(id) \(outcome.rawValue) before '\(request.milestone)'"
                    + (error.map { ": \($0)" } ?? ""))
        }
        return result.outputs
    }
}
