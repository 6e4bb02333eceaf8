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
    let journal: (any DeploymentJournal)?
    let resume: ResumePoint
    let locks: (any LockService)?
    /// Starts and awaits other deployments for this one (the service's).
    let children: (any ChildDeployments)?
    /// The way home for targets that may ask for jobs (phone home).
    let callbacks: CallbackAccess?
    let outputs = OutputStore()
    let sessions: SessionStore
    let hookProcesses: HookProcesses
    let state = Mutex(RunState())

    struct RunState {
        var body: Task<Void, Never>?
        var failed = false
        var halted = false
        var cancelled = false
        var error: String?
        var hookErrors: [String] = []
        var records: [TargetRecord] = []
        var failedSteps: Set<String> = []
        var skippedSteps: [String: String] = [:]
        /// Targets rollouts did not leave on the new version.
        var notUpdated: [NotUpdatedTarget] = []
    }

    /// Prepares a deployment; `connect` gives the connection to each target, `disconnect` closes them all at
    /// the end. With a `journal` every event is recorded, and durably so before a target is acted on; `resume`
    /// names what an interrupted run already finished; `locks` serves `lock:` on steps and tasks; `children` starts
    /// and awaits other deployments for it.
    public init(
        plan: Plan, id: String = Deployment.newID(), scripts: (any ScriptHost)?,
        sessionGrace: Duration = .seconds(3),
        connect: @escaping @Sendable (PlannedTarget) -> any TargetConnection,
        disconnect: @escaping @Sendable () async -> Void = {},
        journal: (any DeploymentJournal)? = nil, resume: ResumePoint = ResumePoint(),
        locks: (any LockService)? = nil, children: (any ChildDeployments)? = nil,
        callbacks: CallbackAccess? = nil, events: @escaping EnvelopeSink
    ) {
        self.children = children
        self.callbacks = callbacks
        self.disconnect = disconnect
        self.plan = plan
        self.id = id
        self.scripts = scripts
        self.connect = connect
        self.journal = journal
        self.resume = resume
        self.locks = locks
        self.hookProcesses = HookProcesses(directory: plan.projectDirectory)
        let masker = plan.secrets
        let sequence = Atomic<Int>(resume.lastSequence)
        let sink: EventSink = { [id] event in
            // Masked before it leaves the engine; numbered in the order it happened.
            let envelope = EventEnvelope(
                deployment: id, sequence: sequence.add(1, ordering: .relaxed).newValue, event: event.masked(by: masker))
            journal?.record(envelope)
            events(envelope)
        }
        self.events = sink
        self.sessions = SessionStore(grace: sessionGrace, events: sink)
    }

    /// A new deployment id: the time and a 32-bit suffix, e.g. `20261122-101500-3f9a07c2`. The suffix counts
    /// up from a random start, so one process never makes the same id twice (a server queues hundreds a
    /// second; a random 16-bit suffix collided one time in three at 250 a second) and processes rarely meet.
    public static func newID() -> String {
        // From the event timestamp (`2026-11-22T10:15:00.123Z`): a DateFormatter and String(format:) a
        // call cost ~0.3 ms.
        let stamp = Array(EventEnvelope.timestamp(Date()).utf8)
        let date = stamp[0..<4] + stamp[5..<7] + stamp[8..<10]
        let time = stamp[11..<13] + stamp[14..<16] + stamp[17..<19]
        let suffix = idCounter.withLock { counter in
            counter &+= 1
            return counter
        }
        let hex = String(suffix, radix: 16)
        return String(decoding: date, as: UTF8.self) + "-" + String(decoding: time, as: UTF8.self) + "-"
            + String(repeating: "0", count: 8 - hex.count) + hex
    }

    private static let idCounter = Mutex(UInt32.random(in: .min ... .max))

    /// Runs the deployment to its end and reports what happened; cancelling the caller cancels it.
    public func run() async -> DeploymentReport {
        let started = ContinuousClock.now
        events(
            .deploymentStarted(
                id: id, project: plan.project, environment: plan.environment, version: plan.release.version,
                steps: plan.steps.count, targets: plan.targets.count))
        let body = state.withLock { state in
            let body = Task(executorPreference: WaitingExecutor.preferred) { await self.runSteps() }
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
        await Task(executorPreference: WaitingExecutor.preferred) { await self.finish() }.value
        let report = state.withLock { state in
            DeploymentReport(
                id: id, outcome: state.cancelled ? .cancelled : state.failed ? .failed : .succeeded, error: state.error,
                hookErrors: state.hookErrors, records: state.records, skippedSteps: state.skippedSteps,
                duration: ContinuousClock.now - started, notUpdated: state.notUpdated, outputs: outputs.snapshot())
        }
        events(.deploymentFinished(outcome: report.outcome, duration: report.duration, error: report.error))
        _ = await durable()
        return report
    }

    /// Records an event that happened outside the engine but belongs to this deployment (a call home).
    public func record(_ event: DeploymentEvent) { events(event) }

    /// Waits until the journal holds everything so far; when it cannot, the deployment fails and halts, so
    /// nothing further happens unrecorded.
    func durable() async -> Bool {
        guard let journal else { return true }
        do {
            try await journal.flush()
            return true
        } catch {
            fail("the state store could not record the deployment (\(error)); stopped so nothing happens unrecorded")
            halt()
            return false
        }
    }

    /// Takes a lock for a step or task, reporting the wait; nil when there is no lock service or the wait
    /// was cancelled or failed (the failure is recorded).
    func take(_ lock: LockRequest, step: String, task: String?, targets: [PlannedTarget]) async -> (any LockLease)?? {
        guard let locks else { return .some(nil) }
        let events = self.events
        // The claim names what runs under it, so it outlives this process until that is gone.
        let guarding = LockGuard(
            deployment: id, runPrefix: Self.runPrefix(id, step: step, task: task),
            remote: targets.contains { !$0.isLocal })
        do {
            let lease = try await locks.acquire(lock.name, limit: lock.limit, guarding: guarding) { holders in
                events(.waitingForLock(name: lock.name, holders: holders, step: step, task: task))
            }
            // Fencing: a lease lost while held stops everything, so nothing acts as a holder it no longer is.
            lease.onLost { [self] in
                fail(
                    "lock '\(lock.name)' was lost while step '\(step)' held it (it could not be renewed in time and "
                        + "another holder may have it); stopped what ran under it", step: step)
                halt()
            }
            return lease
        } catch {
            if !Task.isCancelled {
                fail("step '\(step)' could not take lock '\(lock.name)': \(error)", step: step)
            }
            return nil
        }
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
        let body = state.withLock { state -> Task<Void, Never>? in
            state.halted = true
            return state.body
        }
        body?.cancel()
    }

    private func runSteps() async {
        await stopLeftovers()
        // What the interrupted run held its locks for is stopped now: its claims can pass on.
        if resume.interrupted { await locks?.releaseLeftovers(of: id) }
        // Packages first: acquired once, then on every target, before any step runs.
        guard await runHooks(.preAcquire) else { return }
        guard let cached = await acquirePackages() else {
            for step in plan.steps { skip(step.name, reason: "the packages could not be acquired") }
            return
        }
        guard await runHooks(.preUpload) else { return }
        guard await distributePackages(cached) else {
            for step in plan.steps { skip(step.name, reason: "the packages were not distributed") }
            return
        }
        guard await runHooks(.postUpload) else { return }
        await withTaskGroup(of: Void.self) { detached in
            for step in plan.steps {
                if Task.isCancelled {
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
                // A step's lock is held until all its tasks end, detached ones included.
                var lease: (any LockLease)?
                if let lock = step.lock {
                    guard
                        let taken = await take(lock, step: step.name, task: nil, targets: step.tasks.flatMap(\.targets))
                    else {
                        events(
                            .stepFinished(step: step.name, succeeded: false, duration: ContinuousClock.now - started))
                        continue
                    }
                    lease = taken
                }
                if let policy = step.rolling {
                    await runRolling(step, tasks: runnable, policy: policy)
                    await LeaseCountdown(lease, count: 1).done()
                    finishStep(step.name, milestone: step.milestone, started: started)
                    _ = await runHooks(.postStep, step: step.name)
                    continue
                }
                let release = LeaseCountdown(lease, count: runnable.count)
                await withTaskGroup(of: Void.self) { group in
                    for task in runnable {
                        if task.options.waitForFinish {
                            group.addTask {
                                await self.runTaskOrRollout(task, step: step)
                                await release.done()
                            }
                        } else {
                            detached.addTask {
                                await self.runTaskOrRollout(task, step: step)
                                await release.done()
                            }
                        }
                    }
                }
                finishStep(step.name, milestone: step.milestone, started: started)
                _ = await runHooks(.postStep, step: step.name)
            }
            await detached.waitForAll()
        }
    }

    /// Says a step ended: failed, cancelled while it ran, or finished.
    /// A step that succeeded reaches its milestones: `step:NAME`, and its `milestone:`.
    private func finishStep(_ name: String, milestone: String?, started: ContinuousClock.Instant) {
        let (failed, cancelled) = state.withLock { ($0.failedSteps.contains(name), $0.cancelled) }
        let isCancelled = cancelled || Task.isCancelled
        events(
            .stepFinished(
                step: name, succeeded: !failed && !isCancelled, duration: ContinuousClock.now - started,
                cancelled: isCancelled))
        guard !failed, !isCancelled else { return }
        events(.milestone(name: "step:\(name)", step: name))
        if let milestone { events(.milestone(name: milestone, step: name)) }
    }

    /// A task with its own `rolling:` rolls through its targets; others run on all of them at once.
    private func runTaskOrRollout(_ task: PlannedTask, step: PlannedStep) async {
        if let policy = task.options.rolling {
            await runRolling(step, tasks: [task], policy: policy)
        } else {
            await runTask(task, step: step.name)
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
            if let children {
                let events = self.events
                let problems = await children.compensate { line in
                    events(.log(level: .info, message: line, target: Planner.orchestrator))
                }
                for problem in problems { events(.log(level: .error, message: problem, target: Planner.orchestrator)) }
            }
            _ = await runHooks(.onFailure)
        } else {
            _ = await runHooks(.postDeploy)
        }
        _ = await runHooks(.finally)
        for name in await hookProcesses.stopAll() {
            events(
                .log(level: .warn, message: "stopped '\(name)', which a hook started and left running", target: nil))
        }
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

/// Releases a lease once every task holding it has ended.
final class LeaseCountdown: Sendable {
    private let state: Mutex<(lease: (any LockLease)?, count: Int)>

    init(_ lease: (any LockLease)?, count: Int) { state = Mutex((lease, count)) }

    func done() async {
        let lease = state.withLock { state -> (any LockLease)? in
            state.count -= 1
            guard state.count <= 0 else { return nil }
            defer { state.lease = nil }
            return state.lease
        }
        await lease?.release()
    }
}
