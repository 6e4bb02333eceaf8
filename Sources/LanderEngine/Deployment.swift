import Foundation
import LanderModel
public import LanderTransport
import Synchronization

/// Runs a plan: steps in sequence, a step's tasks in parallel, each task on its targets up to its
/// parallelism; hooks at their points; cancellation stops running commands and still runs cleanup.
public final class Deployment: Sendable {
    /// The plan it runs.
    public let plan: Plan
    /// The deployment's id.
    public let id: String
    let scripts: (any ScriptHost)?
    let connect: @Sendable (PlannedTarget) -> any TargetConnection
    let disconnect: @Sendable () async -> Void
    let events: EventSink
    let outputs = OutputStore()
    let sessions: SessionStore
    let state = Mutex(RunState())

    struct RunState {
        var body: _Concurrency.Task<Void, Never>?
        var failed = false
        var halted = false
        var cancelled = false
        var error: String?
        var hookErrors: [String] = []
        var records: [TargetRecord] = []
        var failedSteps: Set<String> = []
        var skippedSteps: [String: String] = [:]
    }

    /// Prepares a deployment; `connect` gives the connection to each target, `disconnect` closes them all at the end.
    public init(
        plan: Plan, id: String = Deployment.newID(), scripts: (any ScriptHost)?,
        sessionGrace: Duration = .seconds(3),
        connect: @escaping @Sendable (PlannedTarget) -> any TargetConnection,
        disconnect: @escaping @Sendable () async -> Void = {},
        events: @escaping EventSink
    ) {
        self.disconnect = disconnect
        self.plan = plan
        self.id = id
        self.scripts = scripts
        self.connect = connect
        self.sessions = SessionStore(grace: sessionGrace)
        let masker = plan.secrets
        self.events = { event in events(event.masked(by: masker)) }
    }

    /// A new deployment id: the time and a random suffix, e.g. `20261122-101500-3f9a`.
    public static func newID() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date()) + "-" + String(format: "%04x", UInt16.random(in: .min ... .max))
    }

    /// Runs the deployment to its end and reports what happened; cancelling the caller cancels it.
    public func run() async -> DeploymentReport {
        let started = ContinuousClock.now
        events(
            .deploymentStarted(
                id: id, project: plan.project, environment: plan.environment, version: plan.release.version,
                steps: plan.steps.count, targets: plan.targets.count))
        let body = state.withLock { state in
            let body = _Concurrency.Task { await self.runSteps() }
            state.body = body
            return body
        }
        await withTaskCancellationHandler {
            await body.value
        } onCancel: {
            state.withLock { $0.cancelled = true }
            body.cancel()
        }
        // Cleanup runs in a task of its own, which the caller's cancellation does not reach.
        await _Concurrency.Task { await self.finish() }.value
        let report = state.withLock { state in
            DeploymentReport(
                id: id, outcome: state.cancelled ? .cancelled : state.failed ? .failed : .succeeded, error: state.error,
                hookErrors: state.hookErrors, records: state.records, skippedSteps: state.skippedSteps,
                duration: ContinuousClock.now - started)
        }
        events(.deploymentFinished(outcome: report.outcome, duration: report.duration, error: report.error))
        return report
    }

    /// Marks the deployment failed; the first error is kept.
    func fail(_ message: String, step: String? = nil) {
        state.withLock { state in
            state.failed = true
            if state.error == nil { state.error = message }
            if let step { state.failedSteps.insert(step) }
        }
    }

    /// Cancels everything running at once (`halt_on_error`).
    func halt() {
        let body = state.withLock { state -> _Concurrency.Task<Void, Never>? in
            state.halted = true
            return state.body
        }
        body?.cancel()
    }

    private func runSteps() async {
        for point in [HookPoint.preAcquire, .preUpload, .postUpload] {
            guard await runHooks(point) else { return }
        }
        await withTaskGroup(of: Void.self) { detached in
            for step in plan.steps {
                if _Concurrency.Task.isCancelled {
                    let halted = state.withLock { $0.halted }
                    skip(
                        step.name,
                        reason: halted ? "the deployment halted (halt_on_error)" : "the deployment was cancelled")
                    continue
                }
                let failedSoFar = state.withLock { $0.failed }
                let runnable = step.tasks.filter { $0.options.when.allows(failedSoFar: failedSoFar) }
                guard !runnable.isEmpty else {
                    skip(
                        step.name, reason: failedSoFar ? "an earlier step failed" : "its tasks run only after a failure"
                    )
                    continue
                }
                guard await runHooks(.preStep, step: step.name) else {
                    skip(step.name, reason: "a critical pre_step hook failed")
                    continue
                }
                events(
                    .stepStarted(
                        step: step.name, tasks: runnable.map(\.name),
                        detached: runnable.filter { !$0.options.waitForFinish }.map(\.name)))
                let started = ContinuousClock.now
                await withTaskGroup(of: Void.self) { group in
                    for task in runnable {
                        if task.options.waitForFinish {
                            group.addTask { await self.runTask(task, step: step.name) }
                        } else {
                            detached.addTask { await self.runTask(task, step: step.name) }
                        }
                    }
                }
                let failed = state.withLock { $0.failedSteps.contains(step.name) }
                events(.stepFinished(step: step.name, succeeded: !failed, duration: ContinuousClock.now - started))
                _ = await runHooks(.postStep, step: step.name)
            }
            await detached.waitForAll()
        }
    }

    private func skip(_ step: String, reason: String) {
        state.withLock { $0.skippedSteps[step] = reason }
        events(.stepSkipped(step: step, reason: reason))
    }

    private func finish() async {
        let (cancelled, failed) = state.withLock { ($0.cancelled, $0.failed) }
        if cancelled {
            _ = await runHooks(.onCancel)
        } else if failed {
            _ = await runHooks(.onFailure)
        } else {
            _ = await runHooks(.postDeploy)
        }
        _ = await runHooks(.finally)
        await sessions.closeAll()
        await disconnect()
    }
}

extension RunCondition {
    /// Whether a task with this condition runs, given whether something failed before it.
    func allows(failedSoFar: Bool) -> Bool {
        switch self {
        case .success: !failedSoFar
        case .failure: failedSoFar
        case .always: true
        }
    }
}
