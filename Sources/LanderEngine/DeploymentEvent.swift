public import LanderModel

/// Something that happened in a deployment, as progress output and logs show it.
public enum DeploymentEvent: Sendable {
    /// A deployment was put in a server's queue (`version` nil when it is read from another environment when
    /// it starts).
    case deploymentQueued(project: String, environment: String, version: String?, requestedBy: String)
    /// The deployment began.
    case deploymentStarted(id: String, project: String, environment: String, version: String, steps: Int, targets: Int)
    /// A step began, with the tasks that will run and those of them that run on detached.
    case stepStarted(step: String, tasks: [String], detached: [String])
    /// A step did not run, and why.
    case stepSkipped(step: String, reason: String)
    /// A task began on a target.
    case targetStarted(step: String, task: String, target: String)
    /// A line a command or script wrote.
    case output(step: String, task: String, target: String, line: String, isError: Bool)
    /// A log line from a script: a template's carries its step and task, a hook's neither.
    case log(level: LogLevel, message: String, target: String?, step: String? = nil, task: String? = nil)
    /// An attempt failed and another follows after `delay`.
    case retrying(step: String, task: String, target: String, attempt: Int, error: String, delay: Duration)
    /// A task finished on a target; `exitCode` is its command's when it ran one; `earlier` when an interrupted
    /// run of the deployment did it (a resumed run takes it from the record instead of running it again).
    case targetFinished(
        step: String, task: String, target: String, outcome: TargetOutcome, duration: Duration, exitCode: Int32? = nil,
        earlier: Bool = false)
    /// A step finished (its detached tasks may still run); `cancelled` when the deployment was cancelled in it.
    case stepFinished(step: String, succeeded: Bool, duration: Duration, cancelled: Bool = false)
    /// A session (`ctx.target:spawn`) started on a target by a step's task; `pid` leads its process group there.
    case sessionOpened(target: String, name: String, pid: Int32, step: String? = nil, task: String? = nil)
    /// A session ended (closed by a script or at the end of the deployment).
    case sessionClosed(target: String, name: String)
    /// A target moved in a rollout (`in_pool`, `draining`, `deploying`, `verifying`, `left_out`, …).
    case targetState(step: String, target: String, state: RolloutState, detail: String?)
    /// A rolling step ended: how many targets it rolled through and those not left on `version`.
    case rolloutFinished(step: String, version: String, targets: Int, notUpdated: [NotUpdatedTarget])
    /// A lock or semaphore is busy; the step or task waits for it.
    case waitingForLock(name: String, holders: String, step: String, task: String?)
    /// A hook began.
    case hookStarted(point: HookPoint, hook: String)
    /// A hook finished; `error` is set when it failed.
    case hookFinished(point: HookPoint, hook: String, error: String?, critical: Bool)
    /// A task waits for something outside this deployment (another project's milestone): `lander status`
    /// shows it until the task ends.
    case waiting(step: String, task: String, for: String)
    /// A milestone was reached: `step:NAME` when a step finished, a step's `milestone:`, or one a script
    /// reported (`ctx.milestone`). Other deployments wait for it (`wait_for:`).
    case milestone(name: String, step: String?)
    /// A target phoned home (`lander-call`): the call was refused (`outcome` refused, with the HTTP status and
    /// why), started or joined a job run (`called`, `joined`, with the job's deployment), or the run ended
    /// (its outcome). The audit of who asked for what.
    case call(target: String?, job: String?, status: Int, outcome: String, detail: String?, child: String?)
    /// The deployment ended.
    case deploymentFinished(outcome: DeploymentOutcome, duration: Duration, error: String?)
}

/// Receives events; called from many tasks at once, so it must be thread-safe.
public typealias EventSink = @Sendable (DeploymentEvent) -> Void

/// Receives events in their envelopes (deployment, sequence, time); thread-safe like `EventSink`.
public typealias EnvelopeSink = @Sendable (EventEnvelope) -> Void

/// How much a log line matters.
public enum LogLevel: String, Sendable, Hashable, CaseIterable {
    case debug, info, warn, error
}

/// How a task ended on one target.
public enum TargetOutcome: Sendable, Equatable {
    /// It did its work.
    case succeeded
    /// It failed; the message says why.
    case failed(String)
    /// It failed, and `continue_on_error` tolerates that.
    case tolerated(String)
    /// The deployment was cancelled or halted while it ran.
    case cancelled
    /// It never started (an earlier target of its task failed).
    case skipped

    /// The word progress output shows.
    public var word: String {
        switch self {
        case .succeeded: "ok"
        case .failed: "failed"
        case .tolerated: "failed (tolerated)"
        case .cancelled: "cancelled"
        case .skipped: "skipped"
        }
    }
}

/// How a deployment ended.
public enum DeploymentOutcome: String, Sendable {
    case succeeded, failed, cancelled
}
