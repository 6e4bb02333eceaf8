/// The rules of a rolling deployment (seed 004) as a pure state machine: it is told what happened and
/// returns what to do next; it does no I/O. The executor (`Deployment+Rolling`) performs the actions and
/// reports their results back.
///
/// Per batch: precheck (a failure skips the target, untouched; a target Lander itself left out of the pool
/// earlier is not prechecked), drain, the step's tasks, settle, verify, undrain. Any failure from the drain
/// on leaves the target out of the pool for inspection; the batch finishes, no further batch starts and the
/// rollout halts. After the last batch the fleet (the targets in the pool and those precheck skipped) says
/// which version it serves; mismatched ones are stopped gracefully, at most `maxStopped` of them: the one
/// that would go past the budget is left serving and the rollout halts.
public struct RolloutMachine: Sendable {
    /// What the executor does next.
    public enum Action: Sendable, Hashable {
        /// Announce batch `number` (from 1) of `of`.
        case startBatch(number: Int, of: Int, targets: [String])
        /// Run the precheck on these targets; answer with `prechecked`.
        case precheck([String])
        /// The target is skipped: never drained or changed.
        case skip(String, reason: String)
        /// Take these targets out of the load balancer; answer with `drained`.
        case drain([String])
        /// Run the step's tasks on these targets; answer with `ran`.
        case run([String])
        /// Wait the settle time with these targets; answer with `settled`.
        case settle([String])
        /// Verify these targets; answer with `verified`.
        case verify([String])
        /// Put these targets back into the load balancer; answer with `undrained`.
        case undrain([String])
        /// The target is back in the pool.
        case putBack(String)
        /// The target stays out of the pool for inspection (`on_target_failed` is told).
        case leaveOut(String, reason: String)
        /// The batches not reached are skipped.
        case skipRest([String], reason: String)
        /// Ask these targets which version they serve; answer with `fleetChecked`.
        case checkFleet([String])
        /// Stop the target gracefully: it serves another version.
        case stop(String, reason: String)
        /// The target serves another version but the stop budget is spent: it keeps serving.
        case leaveServing(String, reason: String)
        /// Something to tell the operator (a warning).
        case warn(String)
        /// The rollout failed; the message says why and names the targets.
        case halt(String)
        /// The rollout is over.
        case finish
    }

    /// How a check (precheck, drain, verify, undrain) went on a target.
    public enum Check: Sendable, Hashable {
        case passed
        case failed(String)
    }

    /// How the step's tasks went on a target.
    public enum TasksOutcome: Sendable, Hashable {
        case succeeded, failed, cancelled
    }

    /// What a target says it serves.
    public enum Served: Sendable, Hashable {
        /// The release being deployed.
        case expected
        /// Another version (the reason names it), or the check failed.
        case other(String)
        /// The check read nothing: not checked.
        case unknown
    }

    private let batches: [[String]]
    private let maxStopped: Int
    private let leftOutEarlier: Set<String>
    private let checksFleet: Bool
    private let settles: Bool
    private let step: String
    private let version: String
    private var next = 0
    private var inPool: [String] = []
    private var skipped: [String] = []
    private var leftOut: [(String, String)] = []
    private var changed: [String] = []
    /// Where each target ended and why (`skipped`, `left_out`, `stopped`, `in_pool`).
    private var ends: [String: (state: RolloutState, detail: String?)] = [:]
    /// Targets the fleet check found on the new version, and those left serving another one.
    private var confirmed: Set<String> = []
    private var serving: [String: String] = [:]

    /// A rollout of `batches` (target names) for `step`, deploying `version`.
    public init(
        step: String, version: String, batches: [[String]], maxStopped: Int, leftOutEarlier: Set<String> = [],
        checksFleet: Bool, settles: Bool
    ) {
        self.step = step
        self.version = version
        self.batches = batches
        self.maxStopped = maxStopped
        self.leftOutEarlier = leftOutEarlier
        self.checksFleet = checksFleet
        self.settles = settles
    }

    /// The targets that ended in the pool, in order.
    public var targetsInPool: [String] { inPool }

    /// The first actions.
    public mutating func start() -> [Action] { nextBatch() }

    /// The targets not left on the new version once the rollout is over, in batch order, with where they
    /// ended (`skipped` and not found on the new version, `left_out`, `stopped`, or `in_pool` still serving
    /// another version) and why.
    public var notUpdated: [(target: String, state: RolloutState, detail: String?)] {
        batches.flatMap { $0 }.compactMap { target in
            if let reason = serving[target] { return (target, .inPool, reason) }
            guard let end = ends[target] else { return (target, .skipped, "never reached") }
            switch end.state {
            case .skipped where confirmed.contains(target), .inPool: return nil
            default: return (target, end.state, end.detail)
            }
        }
    }

    /// The deployment was cancelled before the batch just announced started: it and the later ones are
    /// skipped, nothing else happens.
    public mutating func cancelled() -> [Action] {
        let rest = batches[min(max(next - 1, 0), batches.count)...].flatMap { $0 }
        next = batches.count
        return rest.isEmpty ? [.finish] : [skipRest(rest, "the deployment was cancelled"), .finish]
    }

    /// Precheck results of the current batch (targets left out earlier were not prechecked).
    public mutating func prechecked(_ results: [String: Check]) -> [Action] {
        var actions: [Action] = []
        var ready = current.filter(leftOutEarlier.contains)
        for target in current where !leftOutEarlier.contains(target) {
            if case .failed(let reason) = results[target] ?? .failed("no precheck result") {
                skipped.append(target)
                ends[target] = (.skipped, "precheck failed: \(reason)")
                actions.append(.skip(target, reason: "precheck failed: \(reason)"))
            } else {
                ready.append(target)
            }
        }
        return actions + [.drain(ready)]
    }

    /// Drain results: a target that could not be drained is left out and not changed.
    public mutating func drained(_ results: [String: Check]) -> [Action] {
        var actions: [Action] = []
        var drained: [String] = []
        for target in results.keys.sorted(by: order) {
            if case .failed(let reason) = results[target] {
                actions.append(leave(target, "drain failed: \(reason)"))
            } else {
                drained.append(target)
            }
        }
        return actions + [.run(drained)]
    }

    /// How the tasks went on each drained target.
    public mutating func ran(_ results: [String: TasksOutcome]) -> [Action] {
        var actions: [Action] = []
        changed = []
        for target in results.keys.sorted(by: order) {
            switch results[target] ?? .failed {
            case .succeeded: changed.append(target)
            case .failed: actions.append(leave(target, "its tasks failed"))
            case .cancelled: actions.append(leave(target, "cancelled while deploying"))
            }
        }
        if changed.isEmpty { return actions + endBatch() }
        return actions + [settles ? .settle(changed) : .verify(changed)]
    }

    /// The settle time has passed.
    public mutating func settled() -> [Action] { [.verify(changed)] }

    /// Verify results: a target that fails is left out; the others are put back.
    public mutating func verified(_ results: [String: Check]) -> [Action] {
        var actions: [Action] = []
        var passed: [String] = []
        for target in changed {
            if case .failed(let reason) = results[target] ?? .failed("no verify result") {
                actions.append(leave(target, "verify failed: \(reason)"))
            } else {
                passed.append(target)
            }
        }
        return actions + (passed.isEmpty ? endBatch() : [.undrain(passed)])
    }

    /// Undrain results: back in the pool, or left out; then the next batch, the fleet check, or a halt.
    public mutating func undrained(_ results: [String: Check]) -> [Action] {
        var actions: [Action] = []
        for target in results.keys.sorted(by: order) {
            if case .failed(let reason) = results[target] {
                actions.append(leave(target, "undrain failed: \(reason)"))
            } else {
                inPool.append(target)
                ends[target] = (.inPool, nil)
                actions.append(.putBack(target))
            }
        }
        return actions + endBatch()
    }

    /// What each target of the fleet serves: the mismatched are stopped within the budget.
    public mutating func fleetChecked(_ results: [String: Served]) -> [Action] {
        var actions: [Action] = []
        var stopped: [String] = []
        var mismatched = 0
        var left: [String] = []
        for target in (inPool + skipped).sorted(by: order) {
            if results[target] == .expected { confirmed.insert(target) }
            guard case .other(let reason) = results[target] ?? .unknown else { continue }
            mismatched += 1
            if stopped.count < maxStopped {
                stopped.append("\(target) (\(reason))")
                ends[target] = (.stopped, reason)
                actions.append(.stop(target, reason: reason))
            } else {
                left.append("\(target) (\(reason))")
                serving[target] = reason
                actions.append(.leaveServing(target, reason: reason))
            }
        }
        let list = stopped.isEmpty ? "none" : stopped.joined(separator: "; ")
        guard !left.isEmpty else {
            if stopped.isEmpty { return actions + [.finish] }
            return actions + [.warn("verify_fleet stopped \(stopped.count) target(s): \(list)"), .finish]
        }
        return actions + [
            .halt(
                "step '\(step)': verify_fleet found \(mismatched) target(s) not serving \(version), more than "
                    + "max_stopped (\(maxStopped)); the rollout halted. Stopped: \(list). Left serving: "
                    + left.joined(separator: "; ")),
            .finish,
        ]
    }

    // MARK: Pieces

    private var current: [String] { next > 0 && next <= batches.count ? batches[next - 1] : [] }

    /// The order targets appear in the batches.
    private func order(_ first: String, _ second: String) -> Bool {
        let all = batches.flatMap { $0 }
        return (all.firstIndex(of: first) ?? 0) < (all.firstIndex(of: second) ?? 0)
    }

    private mutating func leave(_ target: String, _ reason: String) -> Action {
        leftOut.append((target, reason))
        ends[target] = (.leftOut, reason)
        return .leaveOut(target, reason: reason)
    }

    private mutating func skipRest(_ targets: [String], _ reason: String) -> Action {
        for target in targets { ends[target] = (.skipped, reason) }
        return .skipRest(targets, reason: reason)
    }

    private mutating func nextBatch() -> [Action] {
        guard next < batches.count else {
            let fleet = (inPool + skipped).sorted(by: order)
            return checksFleet && !fleet.isEmpty ? [.checkFleet(fleet)] : [.finish]
        }
        next += 1
        let targets = batches[next - 1]
        let checked = targets.filter { !leftOutEarlier.contains($0) }
        return [.startBatch(number: next, of: batches.count, targets: targets), .precheck(checked)]
    }

    /// The batch is over: a failure halts the rollout, else the next batch starts.
    private mutating func endBatch() -> [Action] {
        guard !leftOut.isEmpty else { return nextBatch() }
        let rest = batches[next...].flatMap { $0 }
        next = batches.count
        let list = leftOut.map { "\($0.0) (\($0.1))" }.joined(separator: "; ")
        return (rest.isEmpty ? [] : [skipRest(rest, "the rollout halted")]) + [
            .halt("step '\(step)': the rollout halted; left out of the pool for inspection: \(list)"), .finish,
        ]
    }
}
