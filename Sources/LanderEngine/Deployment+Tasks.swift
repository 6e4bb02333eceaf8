import Foundation
import LanderModel
import LanderTransport

/// Why one attempt of a task on a target failed.
struct AttemptFailure: Error {
    var message: String
    var cancelled = false
    /// The command's exit code when it ran and failed.
    var exitCode: Int32?
}

extension Deployment {
    /// Runs a task on every target of its role, at most `parallelism` at once; after a failure no new
    /// targets start (unless the task tolerates failures), and `halt_on_error` cancels the rest at once.
    func runTask(_ task: PlannedTask, step: String) async {
        var lease: (any LockLease)?
        if let lock = task.options.lock {
            guard let taken = await take(lock, step: step, task: task.name, targets: task.targets) else {
                let now = ContinuousClock.now
                for target in task.targets {
                    record(
                        TargetRecord(
                            step: step, task: task.name, target: target.name, outcome: .cancelled, started: now,
                            finished: now, attempts: 0))
                    events(
                        .targetFinished(
                            step: step, task: task.name, target: target.name, outcome: .cancelled, duration: .zero))
                }
                return
            }
            lease = taken
        }
        await runTargets(task, step: step)
        await lease?.release()
    }

    private func runTargets(_ task: PlannedTask, step: String) async {
        let cap = max(1, task.options.parallelism ?? task.targets.count)
        var pending = task.targets[...]
        var stopped = false
        await withTaskGroup(of: Bool.self) { group in
            var running = 0
            while running < cap, let target = pending.popFirst() {
                group.addTask { await self.runTarget(task, target, step: step) }
                running += 1
            }
            for await succeeded in group {
                running -= 1
                if !succeeded { stopped = true }
                if !stopped, !Task.isCancelled, let target = pending.popFirst() {
                    group.addTask { await self.runTarget(task, target, step: step) }
                    running += 1
                }
            }
        }
        let now = ContinuousClock.now
        for target in pending {
            let outcome: TargetOutcome = stopped ? .skipped : .cancelled
            record(
                TargetRecord(
                    step: step, task: task.name, target: target.name, outcome: outcome, started: now, finished: now,
                    attempts: 0))
            events(.targetFinished(step: step, task: task.name, target: target.name, outcome: outcome, duration: .zero))
        }
    }

    /// Runs a task on one target with its retries; returns false when it failed and the failure counts.
    private func runTarget(_ task: PlannedTask, _ target: PlannedTarget, step: String) async -> Bool {
        let key = TargetStepKey(step: step, task: task.name, target: target.name)
        if let done = resume.finished[key] {
            // Finished before the interruption: its outputs stand, it does not run again.
            outputs.set(done.outputs, step: step, target: target.name)
            let now = ContinuousClock.now
            record(
                TargetRecord(
                    step: step, task: task.name, target: target.name, outcome: done.outcome, started: now,
                    finished: now,
                    attempts: 0))
            events(
                .targetFinished(
                    step: step, task: task.name, target: target.name, outcome: done.outcome, duration: .zero,
                    earlier: true))
            return true
        }
        events(.targetStarted(step: step, task: task.name, target: target.name))
        let started = ContinuousClock.now
        // Nothing touches the target before the record says it is about to.
        guard await durable() else {
            record(
                TargetRecord(
                    step: step, task: task.name, target: target.name, outcome: .cancelled, started: started,
                    finished: started, attempts: 0))
            return false
        }
        var attempts = 0
        var outcome: TargetOutcome
        var exitCode: Int32?
        while true {
            attempts += 1
            do {
                let values = try await attempt(task, target, step: step)
                outputs.set(values, step: step, target: target.name)
                journal?.recordOutputs(values.mapValues { $0.masked(by: plan.secrets) }, for: key)
                if case .int(let code)? = values["exit_code"] { exitCode = Int32(clamping: code) }
                outcome = .succeeded
                break
            } catch {
                exitCode = error.exitCode
                if error.cancelled || Task.isCancelled {
                    outcome = .cancelled
                    break
                }
                let message = plan.secrets.mask(error.message)
                if attempts <= task.options.retries {
                    let delay = task.options.retryBackoff * (1 << min(attempts - 1, 16))
                    events(
                        .retrying(
                            step: step, task: task.name, target: target.name, attempt: attempts, error: message,
                            delay: delay))
                    do {
                        try await Task.sleep(for: delay)
                    } catch {
                        outcome = .cancelled
                        break
                    }
                    continue
                }
                outcome = task.options.continueOnError ? .tolerated(message) : .failed(message)
                break
            }
        }
        let finished = ContinuousClock.now
        record(
            TargetRecord(
                step: step, task: task.name, target: target.name, outcome: outcome, started: started,
                finished: finished, attempts: attempts))
        events(
            .targetFinished(
                step: step, task: task.name, target: target.name, outcome: outcome, duration: finished - started,
                exitCode: exitCode))
        _ = await durable()
        if case .failed(let message) = outcome {
            fail("step '\(step)', task '\(task.name)' on \(target.name): \(message)", step: step)
            if task.options.haltOnError { halt() }
            return false
        }
        return outcome != .cancelled
    }

    private func record(_ record: TargetRecord) {
        state.withLock { $0.records.append(record) }
    }

    /// One attempt: resolves output references, then runs the command or the template.
    private func attempt(_ task: PlannedTask, _ target: PlannedTarget, step: String) async throws(AttemptFailure)
        -> [String: ConfigValue]
    {
        let earlier = outputs.all(on: target.name)
        let scope = ExpressionScope(values: [:], outputs: earlier)
        let connection = connect(target)
        var env = plan.landerEnvironment(target, step: step, deployment: id)
        // Names this task run, so a resumed deployment can stop what an interrupted one left running.
        env["LANDER_RUN"] = Self.runKey(id, step: step, task: task.name, target: target.name)
        if target.work.runsOnTarget, let token = callbacks?.tokens[target.name] {
            try await callHome(token, on: connection, into: &env)
        }
        let work: PlannedTarget.Work
        do throws(ExpressionError) {
            for (key, value) in target.env { env[key] = try Expression.resolve(value, in: scope) }
            switch target.work {
            case .run(let words):
                var argv: [String] = []
                for word in words { argv.append(try Expression.resolve(word, in: scope)) }
                work = .run(argv)
            case .template(let name, let given):
                var parameters: [String: ConfigValue] = [:]
                for (key, value) in given { parameters[key] = try Expression.resolve(value, in: scope) }
                work = .template(name, parameters: parameters)
            case .deploy(let request):
                work = .deploy(request)
            case .waitFor(let request):
                work = .waitFor(request)
            }
        } catch {
            throw AttemptFailure(message: error.description)
        }
        switch work {
        case .run(let argv):
            return try await run(
                Command(argv, environment: env), task: task, target: target, step: step, on: connection)
        case .template(let name, let parameters):
            return try await template(
                name, parameters: parameters, task: task, target: target, step: step, env: env, outputs: earlier,
                on: connection)
        case .deploy(let request):
            return try await deployChild(request, task: task, step: step)
        case .waitFor(let request):
            return try await waitForMilestone(request, task: task, step: step)
        }
    }

    /// Gives a target's commands the way home: the endpoint as the target reaches it, its token, and the
    /// call client on PATH.
    private func callHome(_ token: String, on connection: any TargetConnection, into env: inout [String: String])
        async throws(AttemptFailure)
    {
        guard let callbacks, let reachable = connection as? any HomeReachable else { return }
        do {
            let home = try await reachable.reachHome(HomeRequest(port: callbacks.port, client: CallClient.script))
            env["LANDER_CALLBACK_URL"] = home.url
            env["LANDER_CALLBACK_TOKEN"] = token
            env[Command.binVariable] = home.bin
        } catch {
            throw AttemptFailure(message: "cannot give \(connection.target) the way home: \(error.message)")
        }
    }

    private func run(
        _ command: Command, task: PlannedTask, target: PlannedTarget, step: String, on connection: any TargetConnection
    ) async throws(AttemptFailure) -> [String: ConfigValue] {
        let events = self.events
        let options = RunOptions(timeout: task.options.timeout) { line, isError in
            events(.output(step: step, task: task.name, target: target.name, line: line, isError: isError))
        }
        let result: CommandResult
        do {
            result = try await connection.run(command, options: options)
        } catch {
            throw AttemptFailure(message: error.message)
        }
        if let reason = result.stoppedBy {
            if reason == .timeout, let timeout = task.options.timeout {
                throw AttemptFailure(message: "`\(command)` timed out after \(timeout.formatted) and was stopped")
            }
            throw AttemptFailure(message: "`\(command)` was stopped", cancelled: true)
        }
        guard result.exitCode == 0 else {
            let detail = result.stderr.split(separator: "\n").last.map { ": \($0)" } ?? ""
            throw AttemptFailure(message: "`\(command)` exited \(result.exitCode)\(detail)", exitCode: result.exitCode)
        }
        var stdout = result.stdout
        while stdout.last?.isNewline == true { stdout.removeLast() }
        return ["stdout": .string(stdout), "exit_code": .int(Int64(result.exitCode))]
    }

    /// ` while running plugins/x/init.lua:12` from a script error's `FILE.lua:LINE: …`, or nothing.
    static func `where`(_ message: String) -> String {
        guard let range = message.range(of: #"[^\s:()]+\.lua:\d+"#, options: .regularExpression) else {
            return " (\(message))"
        }
        return " while running \(message[range])"
    }

    private func template(
        _ name: String, parameters: [String: ConfigValue], task: PlannedTask, target: PlannedTarget, step: String,
        env: [String: String], outputs earlier: [String: [String: ConfigValue]], on connection: any TargetConnection
    ) async throws(AttemptFailure) -> [String: ConfigValue] {
        guard let scripts else {
            throw AttemptFailure(message: "template '\(name)' cannot run: this deployment has no Lua host")
        }
        var target = target
        target.env = env
        let context = TaskContext(
            project: plan.project, step: step, task: task.name, target: target, release: plan.release,
            environment: plan.environment, environmentVariables: plan.variables, outputs: earlier,
            connection: connection, sessions: sessions, timeout: task.options.timeout,
            projectDirectory: plan.projectDirectory, events: events, masker: plan.secrets, locks: locks,
            children: children)
        do {
            return try await scripts.runTemplate(name, parameters: parameters, context: context)
        } catch {
            if error.timedOut, let timeout = task.options.timeout {
                throw AttemptFailure(
                    message: "template '\(name)' timed out after \(timeout.formatted)" + Self.where(error.message))
            }
            throw AttemptFailure(message: error.message, cancelled: error.cancelled)
        }
    }
}
