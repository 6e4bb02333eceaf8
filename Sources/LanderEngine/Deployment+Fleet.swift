import Foundation
import LanderModel
import Synchronization

/// A target a rollout did not leave on the new version: skipped, left out of the pool, stopped, or still
/// serving another version because stopping it would have gone past `max_stopped`.
public struct NotUpdatedTarget: Sendable, Hashable {
    /// The rolling step.
    public var step: String
    /// The target.
    public var target: String
    /// Where it ended: `skipped`, `left_out`, `stopped`, or `in_pool` (serving another version).
    public var state: String
    /// Why, as the rollout said it.
    public var detail: String?

    /// Creates an entry.
    public init(step: String, target: String, state: String, detail: String?) {
        self.step = step
        self.target = target
        self.state = state
        self.detail = detail
    }
}

extension NotUpdatedTarget {
    /// `2 of 4 targets not on 2.0.0: app-2 skipped (precheck failed: …); app-3 stopped (serves 1.0.0, not 2.0.0)`.
    public static func summary(_ list: [NotUpdatedTarget], of total: Int, version: String) -> String {
        guard !list.isEmpty else { return "all \(total) target\(total == 1 ? "" : "s") on \(version)" }
        let names = list.map { entry in
            let state =
                entry.state == "in_pool" ? "still serving" : entry.state.replacingOccurrences(of: "_", with: " ")
            return "\(entry.target) \(state)" + (entry.detail.map { " (\($0))" } ?? "")
        }
        return "\(list.count) of \(total) target\(total == 1 ? "" : "s") not on \(version): "
            + names.joined(separator: "; ")
    }
}

extension Deployment {
    /// Every target of the fleet says what version it serves; those with another are stopped gracefully,
    /// one after another, as long as no more than `max_stopped` are: the one that would go past it is not
    /// stopped, the rollout halts and the deployment fails, leaving it and the rest serving.
    func verifyFleet(_ step: PlannedStep, _ targets: [PlannedTarget], policy: RollingPolicy) async {
        guard let binding = policy.verifyFleet, !Task.isCancelled else { return }
        let expected = plan.release.version
        let unchecked = Mutex<[String]>([])
        let failures = await each(targets) { target in
            let served = try await self.rollingHook(.verifyFleet, binding, target, step: step.name)
            let text: String
            switch served {
            case .string(let value): text = value.trimmingCharacters(in: .whitespacesAndNewlines)
            case .int(let value): text = String(value)
            case .double(let value): text = String(value)
            case .null:
                unchecked.withLock { $0.append(target.name) }
                return
            default: text = "nothing"
            }
            if text != expected { throw AttemptFailure(message: "serves \(text), not \(expected)") }
        }
        let notChecked = unchecked.withLock { $0 }.sorted()
        if !notChecked.isEmpty {
            events(
                .log(
                    level: "info",
                    message: "verify_fleet: \(binding.reference) read no version on "
                        + notChecked.joined(separator: ", ")
                        + "; not checked (set the target variable version_url, or verify_fleet: with: { … })",
                    target: nil))
        }
        let confirmed = failures.filter { $0.1 == nil && !notChecked.contains($0.0.name) }.map(\.0.name)
        state.withLock { $0.fleetConfirmed[step.name, default: []].formUnion(confirmed) }
        await stopMismatched(step, failures.compactMap { target, failure in failure.map { (target, $0) } }, policy)
    }

    /// Stops each mismatched target within the failure budget; fails the deployment once it would be exceeded.
    private func stopMismatched(
        _ step: PlannedStep, _ mismatched: [(PlannedTarget, String)], _ policy: RollingPolicy
    ) async {
        guard !mismatched.isEmpty else { return }
        let stopBinding = policy.bounded(
            policy.stopTarget
                ?? policy.drain.map {
                    RollingBinding(reference: Self.plugin($0.reference) + ".stop_target", with: $0.with)
                })
        var stopped: [String] = []
        var serving: [String] = []
        for (target, failure) in mismatched {
            guard stopped.count < policy.maxStopped else {
                serving.append("\(target.name) (\(failure))")
                state.withLock { $0.leftServing[step.name, default: [:]][target.name] = failure }
                continue
            }
            if stopBinding == nil {
                events(
                    .log(
                        level: "warn", message: "\(failure); no stop_target hook (nor a drain plugin) can stop it",
                        target: target.name))
            } else if let stopFailure = await single(
                target, { _ = try await self.rollingHook(.stopTarget, stopBinding, target, step: step.name) })
            {
                events(.log(level: "warn", message: "stop_target: \(stopFailure)", target: target.name))
            }
            state(step.name, target, .stopped, failure)
            stopped.append("\(target.name) (\(failure))")
        }
        let list = stopped.isEmpty ? "none" : stopped.joined(separator: "; ")
        guard serving.isEmpty else {
            fail(
                "step '\(step.name)': verify_fleet found \(mismatched.count) target(s) not serving "
                    + "\(plan.release.version), more than max_stopped (\(policy.maxStopped)); the rollout halted. "
                    + "Stopped: \(list). Left serving: \(serving.joined(separator: "; "))", step: step.name)
            return
        }
        events(.log(level: "warn", message: "verify_fleet stopped \(stopped.count) target(s): \(list)", target: nil))
    }

    /// Says which targets of a rolling step are not on the new version, once the rollout is over.
    func finishRollout(_ step: String, targets: [PlannedTarget]) {
        let notUpdated = state.withLock { state -> [NotUpdatedTarget] in
            let ends = state.rollout[step] ?? [:]
            let confirmed = state.fleetConfirmed[step] ?? []
            let serving = state.leftServing[step] ?? [:]
            let list = targets.compactMap { target -> NotUpdatedTarget? in
                if let failure = serving[target.name] {
                    return NotUpdatedTarget(step: step, target: target.name, state: "in_pool", detail: failure)
                }
                guard let (end, detail) = ends[target.name] else {
                    return NotUpdatedTarget(step: step, target: target.name, state: "skipped", detail: "never reached")
                }
                switch end {
                case .skipped where confirmed.contains(target.name): return nil
                case .skipped, .leftOut, .stopped:
                    return NotUpdatedTarget(step: step, target: target.name, state: end.rawValue, detail: detail)
                case .inPool: return nil
                default:
                    return NotUpdatedTarget(step: step, target: target.name, state: end.rawValue, detail: "cut short")
                }
            }
            state.notUpdated += list
            return list
        }
        events(
            .rolloutFinished(
                step: step, version: plan.release.version, targets: targets.count, notUpdated: notUpdated))
    }
}
