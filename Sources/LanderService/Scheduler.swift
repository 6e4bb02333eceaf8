public import Foundation
public import LanderModel
public import LanderStore

/// A schedule's due time that this process claimed and must run.
public struct ScheduleClaim: Sendable {
    /// The schedule.
    public let schedule: Schedule
    /// The due time.
    public let dueAt: Date
}

/// Decides which schedule runs are due and claims them in the store, so each due time runs once across every
/// process: the newest due time of each schedule runs if it is within the schedule's grace (a run missed
/// while nothing ran happens once, late); one beyond its grace is recorded as missed and does not run.
public struct Scheduler: Sendable {
    /// The workspace whose schedules these are.
    public let workspace: Workspace
    /// Where claims are kept.
    public let store: StateStore

    /// Creates a scheduler.
    public init(workspace: Workspace, store: StateStore) {
        self.workspace = workspace
        self.store = store
    }

    /// The time zone a schedule is read in.
    public static func zone(of schedule: Schedule) -> TimeZone {
        TimeZone(identifier: schedule.timeZone) ?? .gmt
    }

    /// Claims every run due at `now` that no process has claimed; records those missed beyond grace.
    public func claimDue(now: Date) throws(StoreError) -> [ScheduleClaim] {
        var claims: [ScheduleClaim] = []
        for schedule in workspace.schedules {
            // A due time that has a row (ran, runs, or was missed) is left alone: the insert refuses it.
            guard let due = schedule.cron.latest(atOrBefore: now, in: Self.zone(of: schedule)) else { continue }
            let late = now.timeIntervalSince(due)
            if late <= schedule.grace.seconds {
                if try store.claim(schedule: schedule.name, dueAt: due) {
                    claims.append(ScheduleClaim(schedule: schedule, dueAt: due))
                }
            } else {
                _ = try store.claim(
                    schedule: schedule.name, dueAt: due, outcome: "missed",
                    detail: "nothing ran it until \(Int(late))s after it was due, beyond its grace of "
                        + "\(Int(schedule.grace.seconds))s")
            }
        }
        return claims
    }

    /// The soonest due time of any schedule after `now`.
    public func nextDue(after now: Date) -> Date? {
        workspace.schedules.compactMap { $0.cron.next(after: now, in: Self.zone(of: $0)) }.min()
    }
}

/// How a scheduled run ended.
public struct ScheduleOutcome: Sendable {
    /// `succeeded` or `failed`.
    public var outcome: String
    /// What it did, or why it failed.
    public var detail: String
    /// The deployment it ran, when one.
    public var deployment: String?
}

extension Deployer {
    /// Runs a claimed schedule's action to its end and records how it ended. A report is handed to `mail`
    /// (the outbox) with its subject; deployments are asked for as `schedule NAME`.
    public func run(
        _ claim: ScheduleClaim, in workspace: Workspace, store: StateStore, parallel: Int = 4,
        mail: @Sendable (_ subject: String, _ body: String) throws -> Void,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) async -> ScheduleOutcome {
        let outcome = await perform(
            claim, in: workspace, store: store, parallel: parallel, mail: mail, progress: progress)
        try? store.finish(
            schedule: claim.schedule.name, dueAt: claim.dueAt, outcome: outcome.outcome, detail: outcome.detail,
            deployment: outcome.deployment)
        return outcome
    }

    private func perform(
        _ claim: ScheduleClaim, in workspace: Workspace, store: StateStore, parallel: Int,
        mail: @Sendable (String, String) throws -> Void, progress: @escaping @Sendable (String) -> Void
    ) async -> ScheduleOutcome {
        let requester = Requester(
            user: "schedule \(claim.schedule.name)", host: ProcessInfo.processInfo.hostName, channel: .commandLine)
        switch claim.schedule.action {
        case .promote(let from, let to, let projects):
            do {
                let planned = try planPromotion(in: workspace, from: from, to: to, projects: projects)
                let done = await promote(
                    planned, in: workspace, parallel: parallel, requester: requester, progress: progress)
                let failed = done.entries.filter { ["failed", "cancelled"].contains($0.outcome) }
                let went = done.entries.filter { $0.outcome == "succeeded" }.map { "\($0.project) \($0.version ?? "")" }
                let detail =
                    "promoted \(went.isEmpty ? "nothing" : went.joined(separator: ", "))"
                    + (failed.isEmpty
                        ? ""
                        : "; failed: "
                            + failed.map { "\($0.project) (\($0.detail ?? $0.outcome))" }.joined(separator: ", "))
                return ScheduleOutcome(outcome: done.succeeded ? "succeeded" : "failed", detail: detail)
            } catch {
                return ScheduleOutcome(outcome: "failed", detail: "\(error)")
            }
        case .deploy(let project, let environment, let version, let from):
            return await deploy(
                project, to: environment, version: version, from: from, in: workspace, store: store, requester)
        case .report(_, let since, let environment, let format):
            do {
                let report = try ActivityReport.build(
                    store: store, from: claim.dueAt.addingTimeInterval(-since.seconds), to: claim.dueAt,
                    environment: environment)
                try mail("[lander] \(report.title)", report.render(format))
                let count = report.environments.map(\.deployments.count).reduce(0, +)
                return ScheduleOutcome(outcome: "succeeded", detail: "report of \(count) deployments put in the outbox")
            } catch {
                return ScheduleOutcome(outcome: "failed", detail: "\(error)")
            }
        }
    }

    private func deploy(
        _ project: String, to environment: String, version: String?, from: String?, in workspace: Workspace,
        store: StateStore, _ requester: Requester
    ) async -> ScheduleOutcome {
        guard let member = workspace.member(named: project) else {
            return ScheduleOutcome(outcome: "failed", detail: "'\(project)' is no project of the workspace")
        }
        var chosen = version
        if chosen == nil, let from {
            chosen = (try? store.current(project: project, environment: from))?.version
        }
        guard let chosen else {
            return ScheduleOutcome(
                outcome: "failed",
                detail: "\(project) has no successful deployment in \(from ?? "?") to take the version from")
        }
        do {
            let handle = try await deploy(
                DeploymentRequest(
                    project: .file(member.file), environment: environment, version: .version(chosen),
                    requester: requester))
            let report = try await handle.report()
            return ScheduleOutcome(
                outcome: report.outcome.rawValue,
                detail: "\(project) \(chosen) → \(environment): \(report.outcome.rawValue)"
                    + (report.error.map { ": \($0)" } ?? ""), deployment: handle.id)
        } catch {
            return ScheduleOutcome(outcome: "failed", detail: "\(project) \(chosen) → \(environment): \(error)")
        }
    }
}
