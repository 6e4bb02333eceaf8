import Foundation
public import LanderModel
import LanderTransport
import Synchronization

/// Where a target is in a rollout.
public enum RolloutState: String, Sendable {
    case inPool = "in_pool"
    case prechecking, draining, deploying, settling, verifying
    case leftOut = "left_out"
    case skipped, stopped
}

extension RollingPolicy {
    /// The batches a rollout of these tasks takes: each target once, in the order the tasks list them.
    public func batches(of tasks: [PlannedTask]) -> [[PlannedTarget]] {
        var seen: Set<String> = []
        return split(tasks.flatMap(\.targets).filter { seen.insert($0.name).inserted })
    }

    /// A binding with the rollout's `drain_timeout` among its options (unless it sets its own).
    func bounded(_ binding: RollingBinding?) -> RollingBinding? {
        guard var binding else { return nil }
        if binding.with["drain_timeout"] == nil {
            binding.with["drain_timeout"] = .double(drainTimeout.seconds)
        }
        return binding
    }
}

extension Deployment {
    /// Runs a step batch by batch: per target precheck (a failure skips it), drain, the step's tasks,
    /// settle, verify (a failure leaves it out of the pool and halts the rollout after the batch), undrain;
    /// then `verify_fleet` over every target, stopping those serving the wrong version.
    func runRolling(_ step: PlannedStep, tasks: [PlannedTask], policy: RollingPolicy) async {
        var inPool: [PlannedTarget] = []
        var skipped: [PlannedTarget] = []
        var leftOut: [(String, String)] = []
        let batches = policy.batches(of: tasks)
        defer { finishRollout(step.name, targets: batches.flatMap { $0 }) }
        for (number, batch) in batches.enumerated() {
            if Task.isCancelled || !leftOut.isEmpty {
                let reason = leftOut.isEmpty ? "the deployment was cancelled" : "the rollout halted"
                skipRest(batches[number...].flatMap { $0 }, tasks: tasks, step: step.name, reason: reason)
                break
            }
            events(
                .log(
                    level: "info",
                    message: "batch \(number + 1) of \(batches.count): "
                        + batch.map(\.name).joined(separator: ", "), target: nil))
            // Precheck: a target that fails is never drained or changed. A target Lander itself left out of
            // the pool in an earlier run is no misconfigured box: it is deployed without one.
            var ready: [PlannedTarget] = []
            for target in batch {
                guard let how = resume.leftOutOfPool[target.name] else { continue }
                events(
                    .log(
                        level: "info", message: "out of the pool since \(how); deploying it without a precheck",
                        target: target.name))
                ready.append(target)
            }
            for (target, failure) in await each(
                batch.filter { resume.leftOutOfPool[$0.name] == nil },
                { target in
                    if policy.precheck != nil { self.state(step.name, target, .prechecking) }
                    try await self.rollingHook(.precheck, policy.precheck, target, step: step.name)
                })
            {
                if let failure {
                    state(step.name, target, .skipped, "precheck failed: \(failure)")
                    skipTarget(target, tasks: tasks, step: step.name, reason: "precheck failed: \(failure)")
                    skipped.append(target)
                } else {
                    ready.append(target)
                }
            }
            // Drain.
            var drained: [PlannedTarget] = []
            let drain = policy.bounded(policy.drain)
            for (target, failure) in await each(
                ready,
                { target in
                    if policy.drain != nil { self.state(step.name, target, .draining) }
                    try await self.rollingHook(.drain, drain, target, step: step.name)
                })
            {
                if let failure {
                    await leaveOut(target, "drain failed: \(failure)", policy: policy, step: step.name, &leftOut)
                    skipTarget(target, tasks: tasks, step: step.name, reason: "drain failed")
                } else {
                    drained.append(target)
                }
            }
            // The step's tasks on what was drained.
            for target in drained { state(step.name, target, .deploying) }
            let names = Set(drained.map(\.name))
            await withTaskGroup(of: Void.self) { group in
                for task in tasks {
                    var part = task
                    part.targets = task.targets.filter { names.contains($0.name) }
                    guard !part.targets.isEmpty else { continue }
                    group.addTask { await self.runTask(part, step: step.name) }
                }
            }
            // Why each drained target's tasks did not all succeed: failed, or cut short by a cancellation.
            let unfinished = state.withLock { state in
                var reasons: [String: String] = [:]
                for record in state.records where record.step == step.name && names.contains(record.target) {
                    if case .failed = record.outcome { reasons[record.target] = "its tasks failed" }
                    if record.outcome == .cancelled, reasons[record.target] == nil {
                        reasons[record.target] = "cancelled while deploying"
                    }
                }
                return reasons
            }
            var changed: [PlannedTarget] = []
            for target in drained {
                if let reason = unfinished[target.name] {
                    await leaveOut(target, reason, policy: policy, step: step.name, &leftOut)
                } else {
                    changed.append(target)
                }
            }
            if policy.settle > .zero, !changed.isEmpty {
                for target in changed { state(step.name, target, .settling) }
                try? await Task.sleep(for: policy.settle)
            }
            // Verify, then back into the pool.
            for (target, failure) in await each(
                changed,
                { target in
                    if policy.verify != nil { self.state(step.name, target, .verifying) }
                    try await self.rollingHook(.verify, policy.verify, target, step: step.name)
                })
            {
                if let failure {
                    await leaveOut(target, "verify failed: \(failure)", policy: policy, step: step.name, &leftOut)
                    continue
                }
                let undrain = policy.drain.map {
                    RollingBinding(reference: Self.plugin($0.reference) + ".undrain", with: $0.with)
                }
                if let failure = await single(
                    target, { _ = try await self.rollingHook(.undrain, undrain, target, step: step.name) })
                {
                    await leaveOut(target, "undrain failed: \(failure)", policy: policy, step: step.name, &leftOut)
                } else {
                    state(step.name, target, .inPool)
                    inPool.append(target)
                }
            }
        }
        if !leftOut.isEmpty {
            let list = leftOut.map { "\($0.0) (\($0.1))" }.joined(separator: "; ")
            fail(
                "step '\(step.name)': the rollout halted; left out of the pool for inspection: \(list)", step: step.name
            )
            return
        }
        // The fleet check covers every target of the rollout, those precheck skipped included.
        let fleet = Set((inPool + skipped).map(\.name))
        await verifyFleet(step, batches.flatMap { $0 }.filter { fleet.contains($0.name) }, policy: policy)
    }

    // MARK: Pieces

    /// Runs `body` on each target at once; the error message of each that failed (nil: it succeeded).
    func each(
        _ targets: [PlannedTarget], _ body: @escaping @Sendable (PlannedTarget) async throws -> Void
    ) async -> [(PlannedTarget, String?)] {
        await withTaskGroup(of: (Int, String?).self) { group in
            for (index, target) in targets.enumerated() {
                group.addTask { (index, await self.single(target, { try await body(target) })) }
            }
            var results = targets.map { ($0, String?.none) }
            for await (index, failure) in group { results[index].1 = failure }
            return results
        }
    }

    func single(_ target: PlannedTarget, _ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let error as AttemptFailure {
            return error.message
        } catch let error as ScriptError {
            return plan.secrets.mask(error.message)
        } catch {
            return plan.secrets.mask("\(error)")
        }
    }

    /// Runs a rolling point's plugin function for a target; false returned by precheck or verify fails it.
    @discardableResult
    func rollingHook(_ point: RollingPoint, _ binding: RollingBinding?, _ target: PlannedTarget, step: String)
        async throws -> ConfigValue
    {
        guard var binding else { return .null }
        guard let scripts else { throw AttemptFailure(message: "\(point.rawValue) needs the Lua host") }
        // `{{…}}` in the options resolve per target, as a template's parameters do.
        let earlier = outputs.all(on: target.name)
        let scope = ExpressionScope(
            values: target.variables.merging(plan.builtins(for: target)) { _, builtin in builtin }, outputs: earlier)
        do {
            binding.with = try binding.with.mapValues { value throws(ExpressionError) in
                try Expression.resolve(value, in: scope)
            }
        } catch {
            throw AttemptFailure(message: "\(point.rawValue) \(binding.reference): with: \(error)")
        }
        var target = target
        target.env = plan.landerEnvironment(target, step: step, deployment: id)
        let context = TaskContext(
            project: plan.project, step: step, task: point.rawValue, target: target, release: plan.release,
            environment: plan.environment, environmentVariables: plan.variables,
            outputs: earlier, connection: connect(target), sessions: sessions,
            timeout: nil, projectDirectory: plan.projectDirectory, events: events,
            masker: plan.secrets, locks: locks)
        let result = try await scripts.runRollingHook(point, binding, context: context)
        if result == .bool(false) {
            throw AttemptFailure(message: "\(binding.reference) said no")
        }
        return result
    }

    func state(_ step: String, _ target: PlannedTarget, _ state: RolloutState, _ detail: String? = nil) {
        self.state.withLock { $0.rollout[step, default: [:]][target.name] = (state, detail) }
        events(.targetState(step: step, target: target.name, state: state.rawValue, detail: detail))
    }

    /// Leaves a target out of the pool for inspection and tells `on_target_failed` (its failure is logged).
    private func leaveOut(
        _ target: PlannedTarget, _ reason: String, policy: RollingPolicy, step: String,
        _ leftOut: inout [(String, String)]
    ) async {
        state(step, target, .leftOut, reason)
        leftOut.append((target.name, reason))
        if let failure = await single(
            target, { _ = try await self.rollingHook(.onTargetFailed, policy.onTargetFailed, target, step: step) })
        {
            events(.log(level: "warn", message: "on_target_failed: \(failure)", target: target.name))
        }
    }

    private func skipTarget(_ target: PlannedTarget, tasks: [PlannedTask], step: String, reason: String) {
        let now = ContinuousClock.now
        for task in tasks where task.targets.contains(where: { $0.name == target.name }) {
            state.withLock {
                $0.records.append(
                    TargetRecord(
                        step: step, task: task.name, target: target.name, outcome: .skipped, started: now,
                        finished: now, attempts: 0))
            }
            events(
                .targetFinished(step: step, task: task.name, target: target.name, outcome: .skipped, duration: .zero))
        }
    }

    private func skipRest(_ targets: [PlannedTarget], tasks: [PlannedTask], step: String, reason: String) {
        for target in targets {
            state(step, target, .skipped, reason)
            skipTarget(target, tasks: tasks, step: step, reason: reason)
        }
    }

    /// `haproxy` of `haproxy` or `haproxy.drain`.
    static func plugin(_ reference: String) -> String {
        String(reference.split(separator: ".", maxSplits: 1).first ?? Substring(reference))
    }
}
