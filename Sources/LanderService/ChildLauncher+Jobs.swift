import Foundation
import LanderEngine
import LanderModel
import LanderStore

extension ChildLauncher {
    /// Runs a job a target of the parent asked for: its steps as a `job` deployment of the parent's project
    /// (under the parent's lock, which it is part of), or another project's deployment, in the parent's
    /// environment; linked to the parent, noting the target that asked. Cancelling the caller cancels it.
    func runJob(
        _ job: Job, variables: [String: String], target: String, call: String, parent loaded: LoadedProject,
        plan: Plan, progress: @escaping @Sendable (String) -> Void
    ) async -> JobOutcome {
        let handle: DeploymentHandle
        do {
            switch job.work {
            case .steps(let steps):
                handle = try await startSteps(
                    steps, of: job, variables: variables, target: target, call: call, parent: loaded, plan: plan,
                    progress: progress)
            case .project(let request):
                guard
                    let started = try await startProject(
                        request, of: job, target: target, call: call, plan: plan, progress: progress)
                else {
                    return JobOutcome(
                        child: nil, outcome: "succeeded", error: nil, outputs: ["status": .string("skipped")])
                }
                handle = started
            }
        } catch {
            return JobOutcome(child: nil, outcome: "failed", error: "job '\(job.name)' could not start: \(error)")
        }
        let report: DeploymentReport
        do {
            report = try await withTaskCancellationHandler {
                try await handle.report()
            } onCancel: {
                handle.cancel()
            }
        } catch {
            return JobOutcome(child: handle.id, outcome: "failed", error: "\(error)")
        }
        return JobOutcome(
            child: handle.id, outcome: report.outcome.rawValue, error: report.error,
            outputs: Self.byStep(report.outputs, masker: handle.plan.secrets))
    }

    /// A job's own steps, as a deployment of the parent's project that runs only them (no packages, hooks
    /// or requirements), with the call's variables over the job's defaults.
    private func startSteps(
        _ steps: [Step], of job: Job, variables: [String: String], target: String, call: String,
        parent loaded: LoadedProject, plan: Plan, progress: @escaping @Sendable (String) -> Void
    ) async throws(ServiceError) -> DeploymentHandle {
        var jobProject = loaded
        jobProject.project.steps = steps
        jobProject.project.packages = []
        jobProject.project.hooks = []
        jobProject.project.uses = []
        jobProject.project.jobs = []
        jobProject.project.requires = []
        jobProject.project.variables.merge(job.variables) { _, own in own }
        var requester = Requester.here
        requester.channel = .parent(deployment: parent)
        var request = DeploymentRequest(
            project: .file(loaded.file), environment: plan.environment, version: .version(plan.release.version),
            variableOverrides: variables.mapValues(ConfigValue.string), requester: requester)
        request.kind = "job"
        request.note = "job '\(job.name)' asked for by target \(target) (\(call))"
        request.takesProjectLock = false
        return try await deployer.deploy(
            request, loaded: jobProject, observer: ChildProgress(project: "job \(job.name)", progress: progress))
    }

    /// Another project of the workspace deployed to the parent's environment (nil: `when:` says not to).
    private func startProject(
        _ deployment: ProjectDeployment, of job: Job, target: String, call: String, plan: Plan,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> DeploymentHandle? {
        let reference = try reference(deployment.project)
        let loaded = try LoadedProject.load(reference)
        let store = try deployer.openStore(for: loaded)
        let name = loaded.project.name
        var child = ChildDeploymentRequest(
            project: deployment.project, environment: plan.environment,
            source: try Self.resolved(deployment.source, plan),
            when: deployment.when, parent: parent)
        child.wait = true
        let (choice, packages, version) = try await source(child, project: name, store: store)
        let current = try store.current(project: name, environment: plan.environment)
        if try Self.skip(deployment.when, version: version, current: current?.version) != nil { return nil }
        var requester = Requester.here
        requester.channel = .parent(deployment: parent)
        var request = DeploymentRequest(
            project: reference, environment: plan.environment, version: choice, packages: packages,
            requester: requester)
        request.note = "job '\(job.name)' asked for by target \(target) (\(call))"
        return try await deployer.deploy(
            request, loaded: loaded, observer: ChildProgress(project: name, progress: progress))
    }

    /// A project job's version or release with its `{{…}}` (`release.version`, variables) resolved as the
    /// asking deployment's plan resolves a `deploy:` task's.
    static func resolved(_ source: ProjectDeployment.Source, _ plan: Plan) throws -> ProjectDeployment.Source {
        let scope = ExpressionScope(
            values: plan.variables.merging(
                Plan.builtins(
                    project: plan.project, environment: plan.environment, release: plan.release,
                    target: Planner.orchestrator, root: plan.projectDirectory, roles: [])
            ) { _, builtin in builtin })
        switch source {
        case .version(let text): return .version(try Expression.resolve(text, in: scope))
        case .release(let text): return .release(try Expression.resolve(text, in: scope))
        case .from: return source
        }
    }

    /// Outputs by target and step, as callers read them: step → target → key → value, secrets masked.
    static func byStep(_ outputs: [String: [String: [String: ConfigValue]]], masker: Masker) -> [String: ConfigValue] {
        var steps: [String: [String: ConfigValue]] = [:]
        for (target, byStep) in outputs {
            for (step, values) in byStep {
                steps[step, default: [:]][target] = ConfigValue.map(values).masked(by: masker)
            }
        }
        return steps.mapValues { .map($0) }
    }
}
