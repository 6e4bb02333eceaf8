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
    /// Every target of the fleet says what version it serves (the machine decides what to stop).
    func verifyFleet(_ step: PlannedStep, _ targets: [PlannedTarget], policy: RollingPolicy) async
        -> [String: RolloutMachine.Served]
    {
        guard let binding = policy.verifyFleet else { return [:] }
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
                    level: .info,
                    message: "verify_fleet: \(binding.reference) read no version on "
                        + notChecked.joined(separator: ", ")
                        + "; not checked (set the target variable version_url, or verify_fleet: with: { … })",
                    target: nil))
        }
        var results: [String: RolloutMachine.Served] = [:]
        for (target, failure) in failures {
            if let failure {
                results[target.name] = .other(failure)
            } else {
                results[target.name] = notChecked.contains(target.name) ? .unknown : .expected
            }
        }
        return results
    }

    /// Stops a target serving another version through `stop_target` (or the drain plugin's).
    func stop(_ target: PlannedTarget, _ reason: String, _ rollout: Rollout) async {
        let policy = rollout.policy
        let step = rollout.step.name
        let binding = policy.bounded(
            policy.stopTarget
                ?? policy.drain.map {
                    RollingBinding(reference: $0.plugin.sibling("stop_target"), with: $0.with)
                })
        if binding == nil {
            events(
                .log(
                    level: .warn, message: "\(reason); no stop_target hook (nor a drain plugin) can stop it",
                    target: target.name))
        } else if let failure = await single(
            target, { _ = try await self.rollingHook(.stopTarget, binding, target, step: step) })
        {
            events(.log(level: .warn, message: "stop_target: \(failure)", target: target.name))
        }
        state(step, target, .stopped, reason)
    }

    /// Says which targets of a rolling step are not on the new version, once the rollout is over.
    func finishRollout(
        _ step: String, targets: Int, _ ends: [(target: String, state: RolloutState, detail: String?)]
    ) {
        let notUpdated = ends.map {
            NotUpdatedTarget(step: step, target: $0.target, state: $0.state.rawValue, detail: $0.detail)
        }
        state.withLock { $0.notUpdated += notUpdated }
        events(.rolloutFinished(step: step, version: plan.release.version, targets: targets, notUpdated: notUpdated))
    }
}
