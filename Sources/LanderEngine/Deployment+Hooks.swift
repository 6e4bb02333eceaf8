import LanderModel

extension Deployment {
    /// Runs the hooks bound to a point, in order; returns false when a critical one failed.
    ///
    /// A hook's error is recorded beside the deployment's first error and never replaces it.
    func runHooks(_ point: HookPoint, step: String? = nil) async -> Bool {
        let bindings = plan.hooks.filter { $0.point == point }
        guard !bindings.isEmpty else { return true }
        var allCriticalSucceeded = true
        for binding in bindings {
            events(.hookStarted(point: point, hook: binding.reference))
            var failure: String?
            if let scripts {
                do {
                    try await scripts.runHook(binding, context: hookContext(point, step: step))
                } catch {
                    failure = plan.secrets.mask(error.message)
                }
            } else {
                failure = "no Lua host to run it"
            }
            events(.hookFinished(point: point, hook: binding.reference, error: failure, critical: binding.critical))
            guard let failure else { continue }
            let message = "\(point.rawValue) hook \(binding.reference) failed: \(failure)"
            state.withLock { $0.hookErrors.append(message) }
            if binding.critical {
                fail(message, step: step)
                allCriticalSucceeded = false
            }
        }
        return allCriticalSucceeded
    }

    private func hookContext(_ point: HookPoint, step: String?) -> HookContext {
        let (outcome, error, summary) = state.withLock { state in
            let outcome =
                [.postDeploy, .onFailure, .onCancel, .finally].contains(point)
                ? (state.cancelled ? "cancelled" : state.failed ? "failed" : "succeeded") : "running"
            let failedTargets = state.records.filter { if case .failed = $0.outcome { true } else { false } }.count
            let summary =
                "\(plan.project) \(plan.release.version) to \(plan.environment): \(outcome); "
                + "\(state.records.count) task runs on \(plan.targets.count) targets, \(failedTargets) failed"
                + (state.error.map { "; first error: \($0)" } ?? "")
            return (outcome, state.error, summary)
        }
        return HookContext(
            point: point, project: plan.project, projectDirectory: plan.projectDirectory,
            environment: plan.environment, variables: plan.variables, release: plan.release, deployment: id,
            step: step, outcome: outcome, error: error, summary: plan.secrets.mask(summary), events: events,
            locks: locks, processes: hookProcesses)
    }
}

extension DeploymentEvent {
    /// The event with every secret value (and every call-home token) masked.
    func masked(by masker: Masker) -> DeploymentEvent {
        switch self {
        case .output(let step, let task, let target, let line, let isError):
            return .output(step: step, task: task, target: target, line: masker.mask(line), isError: isError)
        case .log(let level, let message, let target, let step, let task):
            return .log(level: level, message: masker.mask(message), target: target, step: step, task: task)
        case .retrying(let step, let task, let target, let attempt, let error, let delay):
            return .retrying(
                step: step, task: task, target: target, attempt: attempt, error: masker.mask(error), delay: delay)
        case .targetFinished(let step, let task, let target, .failed(let message), let duration, let code, let earlier):
            return .targetFinished(
                step: step, task: task, target: target, outcome: .failed(masker.mask(message)), duration: duration,
                exitCode: code, earlier: earlier)
        case .targetFinished(
            let step, let task, let target, .tolerated(let message), let duration, let code, let earlier):
            return .targetFinished(
                step: step, task: task, target: target, outcome: .tolerated(masker.mask(message)), duration: duration,
                exitCode: code, earlier: earlier)
        case .targetState(let step, let target, let state, let detail?):
            return .targetState(step: step, target: target, state: state, detail: masker.mask(detail))
        case .hookFinished(let point, let hook, let error?, let critical):
            return .hookFinished(point: point, hook: hook, error: masker.mask(error), critical: critical)
        case .deploymentFinished(let outcome, let duration, let error?):
            return .deploymentFinished(outcome: outcome, duration: duration, error: masker.mask(error))
        case .call(let target, let job, let status, let outcome, let detail?, let child):
            return .call(
                target: target, job: job, status: status, outcome: outcome, detail: masker.mask(detail), child: child)
        default:
            return self
        }
    }
}
