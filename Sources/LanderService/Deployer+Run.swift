import Foundation
import LanderEngine
import LanderLua
import LanderModel
import LanderStore
import LanderTransport

extension Deployer {
    /// Starts a planned deployment: under the project lock, recorded in the store as it goes (`record` writes
    /// its row once the lock is held, and may refuse), with the interrupted run's `resume` point.
    func start(
        _ planned: PlannedRelease, scripts: LuaScriptHost, workspace: Workspace?, store: StateStore, id: String,
        resume: ResumePoint = ResumePoint(), wait: Bool, startedFrom: StartPoint,
        observer: (any DeploymentObserver)?, record: @escaping @Sendable () throws(StoreError) -> Void
    ) -> DeploymentHandle {
        let plan = planned.plan
        let handle = DeploymentHandle(
            id: id, plan: plan, warnings: planned.warnings, startedFrom: startedFrom, observer: observer)
        let running = self.running
        let grace = self.grace
        let children = ChildLauncher(
            deployer: self, parent: id, directory: plan.projectDirectory, workspace: workspace)
        running.add(handle)
        handle.start {
            defer { running.remove(id) }
            let owner = "\(plan.project) → \(plan.environment), deployment \(id)"
            let locks = StoreLocks(store: store, owner: owner)
            let lockName = "deploy:\(plan.project)/\(plan.environment)"
            let projectLock: StoreLease
            do {
                projectLock = try await locks.acquire(lockName, limit: 1, as: owner, wait: wait) { holders in
                    handle.emit(.waitingForLock(name: lockName, holders: holders, step: "", task: nil))
                }
            } catch let error as StoreError {
                throw ServiceError(
                    .refused,
                    "\(plan.project) → \(plan.environment) is being deployed: \(error) (without --no-wait, lander "
                        + "waits its turn)")
            }
            do {
                try record()
            } catch {
                await projectLock.release()
                throw ServiceError(.refused, "\(error)")
            }
            var resume = resume
            if plan.rolls {
                resume.leftOutOfPool =
                    (try? store.leftOutOfPool(project: plan.project, environment: plan.environment)) ?? [:]
            }
            let journal = StoreJournal(store: store, deploymentID: id)
            let connections = ConnectionPool(localEnvironment: ProcessInfo.processInfo.environment, stopGrace: grace)
            let deployment = Deployment(
                plan: plan, id: id, scripts: scripts, sessionGrace: grace,
                connect: { connections.connection(target: $0.name, transport: $0.transport, root: $0.root) },
                disconnect: { await connections.closeAll() },
                journal: journal, resume: resume, locks: locks, children: children,
                events: { handle.emit($0) })
            // The deployment handles cancellation itself (cleanup hooks run); its report says it was cancelled.
            let report = await deployment.run()
            // Children started without waiting end before their parent does.
            await children.awaitUnwaited()
            journal.close()
            await projectLock.release()
            return report
        }
        return handle
    }
}
