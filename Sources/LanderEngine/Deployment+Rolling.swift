import Foundation
public import LanderModel
import LanderTransport
import Synchronization

/// Where a target is in a rollout.
public enum RolloutState: String, Sendable, Hashable, CaseIterable {
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
    /// Runs a step batch by batch as `RolloutMachine` decides: this performs each action (hooks, the
    /// step's tasks, the settle wait) and reports what happened back to the machine.
    func runRolling(_ step: PlannedStep, tasks: [PlannedTask], policy: RollingPolicy) async {
        let batches = policy.batches(of: tasks)
        var targets: [String: PlannedTarget] = [:]
        for target in batches.flatMap({ $0 }) { targets[target.name] = target }
        var machine = RolloutMachine(
            step: step.name, version: plan.release.version, batches: batches.map { $0.map(\.name) },
            maxStopped: policy.maxStopped, leftOutEarlier: Set(resume.leftOutOfPool.keys),
            checksFleet: policy.verifyFleet != nil, settles: policy.settle > .zero)
        let rollout = Rollout(step: step, tasks: tasks, policy: policy, targets: targets)
        var queue = machine.start()
        while !queue.isEmpty {
            let action = queue.removeFirst()
            if case .startBatch = action, Task.isCancelled {
                queue = machine.cancelled()
                continue
            }
            queue += await perform(action, rollout, &machine)
        }
        finishRollout(step.name, targets: batches.flatMap { $0 }.count, machine.notUpdated)
    }

    /// What a rollout's actions work on.
    struct Rollout: Sendable {
        let step: PlannedStep
        let tasks: [PlannedTask]
        let policy: RollingPolicy
        let targets: [String: PlannedTarget]

        func named(_ names: [String]) -> [PlannedTarget] { names.compactMap { targets[$0] } }
    }

    /// Performs one action; the actions the machine returns for its result.
    private func perform(_ action: RolloutMachine.Action, _ rollout: Rollout, _ machine: inout RolloutMachine)
        async -> [RolloutMachine.Action]
    {
        let (step, policy) = (rollout.step.name, rollout.policy)
        switch action {
        case .startBatch(let number, let count, let names):
            events(
                .log(
                    level: .info, message: "batch \(number) of \(count): " + names.joined(separator: ", "), target: nil
                ))
            for name in names {
                guard let how = resume.leftOutOfPool[name] else { continue }
                events(
                    .log(
                        level: .info, message: "out of the pool since \(how); deploying it without a precheck",
                        target: name))
            }
        case .precheck(let names):
            return machine.prechecked(
                await checks(rollout.named(names), .prechecking, policy.precheck, .precheck, rollout))
        case .skip(let name, let reason):
            guard let target = rollout.targets[name] else { break }
            state(step, target, .skipped, reason)
            skipTarget(target, tasks: rollout.tasks, step: step, reason: reason)
        case .drain(let names):
            return machine.drained(
                await checks(rollout.named(names), .draining, policy.bounded(policy.drain), .drain, rollout))
        case .run(let names):
            return machine.ran(await runBatch(rollout.named(names), rollout))
        case .settle(let names):
            for target in rollout.named(names) { state(step, target, .settling) }
            try? await Task.sleep(for: policy.settle)
            return machine.settled()
        case .verify(let names):
            return machine.verified(await checks(rollout.named(names), .verifying, policy.verify, .verify, rollout))
        case .undrain(let names):
            let undrain = policy.drain.map {
                RollingBinding(reference: $0.plugin.sibling("undrain"), with: $0.with)
            }
            return machine.undrained(await checks(rollout.named(names), nil, undrain, .undrain, rollout))
        case .putBack(let name):
            if let target = rollout.targets[name] { state(step, target, .inPool) }
        case .leaveOut(let name, let reason):
            if let target = rollout.targets[name] { await leaveOut(target, reason, policy: policy, step: step) }
        case .skipRest(let names, let reason):
            skipRest(rollout.named(names), tasks: rollout.tasks, step: step, reason: reason)
        case .checkFleet(let names):
            guard !Task.isCancelled else { break }
            return machine.fleetChecked(await verifyFleet(rollout.step, rollout.named(names), policy: policy))
        case .stop(let name, let reason):
            if let target = rollout.targets[name] { await stop(target, reason, rollout) }
        case .leaveServing:
            break  // it keeps serving: the machine lists it among the targets not updated
        case .warn(let message):
            events(.log(level: .warn, message: message, target: nil))
        case .halt(let message):
            fail(message, step: step)
        case .finish:
            break
        }
        return []
    }

    /// Runs one rolling point on each target at once, showing `showing` first when the point is set.
    private func checks(
        _ targets: [PlannedTarget], _ showing: RolloutState?, _ binding: RollingBinding?, _ point: RollingPoint,
        _ rollout: Rollout
    ) async -> [String: RolloutMachine.Check] {
        let step = rollout.step.name
        var results: [String: RolloutMachine.Check] = [:]
        for (target, failure) in await each(
            targets,
            { target in
                if let showing, binding != nil { self.state(step, target, showing) }
                try await self.rollingHook(point, binding, target, step: step)
            })
        {
            results[target.name] = failure.map { .failed($0) } ?? .passed
        }
        return results
    }

    /// The step's tasks on the drained targets of a batch; how they went on each.
    private func runBatch(_ drained: [PlannedTarget], _ rollout: Rollout) async -> [String: RolloutMachine.TasksOutcome]
    {
        let step = rollout.step.name
        for target in drained { state(step, target, .deploying) }
        let names = Set(drained.map(\.name))
        await withTaskGroup(of: Void.self) { group in
            for task in rollout.tasks {
                var part = task
                part.targets = task.targets.filter { names.contains($0.name) }
                guard !part.targets.isEmpty else { continue }
                group.addTask { await self.runTask(part, step: step) }
            }
        }
        return state.withLock { state in
            var outcomes: [String: RolloutMachine.TasksOutcome] = [:]
            for name in names { outcomes[name] = .succeeded }
            for record in state.records where record.step == step && names.contains(record.target) {
                if case .failed = record.outcome { outcomes[record.target] = .failed }
                if record.outcome == .cancelled, outcomes[record.target] == .succeeded {
                    outcomes[record.target] = .cancelled
                }
            }
            return outcomes
        }
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
        events(.targetState(step: step, target: target.name, state: state, detail: detail))
    }

    /// Leaves a target out of the pool for inspection and tells `on_target_failed` (its failure is logged).
    private func leaveOut(_ target: PlannedTarget, _ reason: String, policy: RollingPolicy, step: String) async {
        state(step, target, .leftOut, reason)
        if let failure = await single(
            target, { _ = try await self.rollingHook(.onTargetFailed, policy.onTargetFailed, target, step: step) })
        {
            events(.log(level: .warn, message: "on_target_failed: \(failure)", target: target.name))
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
}
