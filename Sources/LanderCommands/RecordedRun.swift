import ArgumentParser
import Foundation
import LanderEngine
import LanderLua
import LanderStore
import LanderTransport

/// Runs a planned deployment the way `deploy`, `resume` and `rollback` do: under the project lock, recorded
/// in the state store as it goes, stopped cleanly by Ctrl-C or SIGTERM.
struct RecordedRun {
    var plan: Plan
    var scripts: LuaScriptHost
    var store: StateStore
    var id: String
    var resume = ResumePoint()
    var wait = true
    var reporter: Reporter

    /// Runs it; `record` writes the deployment's row once the project lock is held (and may refuse).
    func run(record: @escaping @Sendable () throws(StoreError) -> Void) async throws {
        let owner = "\(plan.project) → \(plan.environment), deployment \(id)"
        let locks = StoreLocks(store: store, owner: owner)
        let (plan, scripts, store, id, resume, wait, reporter) = (
            self.plan, self.scripts, self.store, self.id, self.resume, self.wait, self.reporter
        )
        let running = Task { () async throws -> DeploymentReport in
            let lockName = "deploy:\(plan.project)/\(plan.environment)"
            let projectLock: StoreLease
            do {
                projectLock = try await locks.acquire(lockName, limit: 1, as: owner, wait: wait) { holders in
                    reporter.note("waiting: \(plan.project) → \(plan.environment) is being deployed by \(holders)")
                }
            } catch let error as StoreError {
                throw StoreError(
                    "\(plan.project) → \(plan.environment) is being deployed: \(error) (without --no-wait, lander waits its turn)"
                )
            }
            do {
                try record()
            } catch {
                await projectLock.release()
                throw error
            }
            var resume = resume
            resume.leftOutOfPool =
                (try? store.leftOutOfPool(project: plan.project, environment: plan.environment)) ?? [:]
            let journal = StoreJournal(store: store, deploymentID: id)
            let connections = ConnectionPool(localEnvironment: ProcessInfo.processInfo.environment)
            let deployment = Deployment(
                plan: plan, id: id, scripts: scripts,
                connect: { connections.connection(target: $0.name, transport: $0.transport, root: $0.root) },
                disconnect: { await connections.closeAll() },
                journal: journal, resume: resume, locks: locks,
                events: { reporter.handle($0) })
            // The deployment handles cancellation itself (cleanup hooks run); its report says it was cancelled.
            let report = await deployment.run()
            journal.close()
            await projectLock.release()
            return report
        }
        let trap = SignalTrap { signal in
            reporter.note("received \(signal); stopping running commands, then running on_cancel and finally hooks")
            running.cancel()
        }
        let result = await running.result
        trap.release()
        let report: DeploymentReport
        switch result {
        case .success(let value):
            report = value
        case .failure(is CancellationError):
            printError("lander: cancelled before the deployment started; nothing ran")
            throw ExitCode(ExitCodes.cancelled)
        case .failure(let error):
            throw refuse(error)
        }
        reporter.finish(report)
        switch report.outcome {
        case .succeeded: return
        case .failed: throw ExitCode(ExitCodes.failed)
        case .cancelled: throw ExitCode(ExitCodes.cancelled)
        }
    }
}
