import LanderEngine
import LanderModel

/// The columns of an event's row in the `event` table (its payload beside them): what history, status and
/// show query. Output and log lines have none: they are `log_line` rows.
struct EventRow {
    var kind: String
    var step: String?
    var task: String?
    var target: String?
    var detail: String?

    init(_ kind: String, step: String? = nil, task: String? = nil, target: String? = nil, _ detail: String?) {
        (self.kind, self.step, self.task, self.target, self.detail) = (kind, step, task, target, detail)
    }

    init?(_ event: DeploymentEvent) {
        switch event {
        case .output, .log: return nil
        case .deploymentQueued(_, _, let version, let requestedBy):
            self.init("queued", "\(version ?? "version read when it starts") asked by \(requestedBy)")
        case .deploymentStarted(_, _, _, _, let steps, let targets):
            self.init("started", "\(steps) steps on \(targets) targets")
        case .stepStarted(let step, let tasks, _): self.init("step_started", step: step, tasks.joined(separator: ", "))
        case .stepSkipped(let step, let reason): self.init("step_skipped", step: step, reason)
        case .stepFinished(let step, let succeeded, _, let cancelled):
            self.init("step_finished", step: step, cancelled ? "cancelled" : succeeded ? "succeeded" : "failed")
        case .targetStarted(let step, let task, let target):
            self.init("target_started", step: step, task: task, target: target, nil)
        case .retrying(let step, let task, let target, let attempt, let error, _):
            self.init("retrying", step: step, task: task, target: target, "attempt \(attempt) failed: \(error)")
        case .targetFinished(let step, let task, let target, let outcome, _, _, let earlier):
            self.init(
                "target_finished", step: step, task: task, target: target,
                outcome.recordedStatus + (outcome.message.map { ": \($0)" } ?? "")
                    + (earlier ? " (done by the interrupted run)" : ""))
        case .targetState(let step, let target, let state, let detail):
            self.init("target_state", step: step, target: target, state.rawValue + (detail.map { ": \($0)" } ?? ""))
        case .rolloutFinished(let step, let version, let targets, let notUpdated):
            self.init(
                "rollout_finished", step: step, NotUpdatedTarget.summary(notUpdated, of: targets, version: version))
        case .sessionOpened(let target, let name, let pid, _, _):
            self.init("session_opened", target: target, "\(name) (pid \(pid))")
        case .sessionClosed(let target, let name): self.init("session_closed", target: target, name)
        case .waitingForLock(let name, let holders, let step, let task):
            self.init("waiting_for_lock", step: step, task: task, "\(name) held by \(holders)")
        case .hookStarted(let point, let hook): self.init("hook_started", "\(point.rawValue) \(hook)")
        case .hookFinished(let point, let hook, let error, _):
            self.init("hook_finished", "\(point.rawValue) \(hook): \(error ?? "ok")")
        case .waiting(let step, let task, let what): self.init("waiting", step: step, task: task, what)
        case .milestone(let name, let step): self.init("milestone", step: step, name)
        case .call(let target, let job, let status, let outcome, let detail, let child):
            self.init(
                "call", target: target,
                "\(job ?? "?") \(outcome) (\(status))" + (detail.map { ": \($0)" } ?? "")
                    + (child.map { " → deployment \($0)" } ?? ""))
        case .deploymentFinished(let outcome, _, let error):
            self.init("finished", outcome.rawValue + (error.map { ": \($0)" } ?? ""))
        }
    }
}

extension TargetOutcome {
    /// The word the store keeps: succeeded, failed, tolerated, cancelled or skipped.
    var recordedStatus: String {
        switch self {
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .tolerated: "tolerated"
        case .cancelled: "cancelled"
        case .skipped: "skipped"
        }
    }

    /// Why it failed, when it did.
    var message: String? {
        switch self {
        case .failed(let message), .tolerated(let message): message
        default: nil
        }
    }
}
