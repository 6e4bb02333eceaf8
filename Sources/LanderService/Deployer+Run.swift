import Foundation
import LanderEngine
import LanderLua
import LanderModel
import LanderStore
import LanderTransport
import Synchronization

/// Serves a `CallDesk` to targets: the phone-home endpoint (HTTP on a loopback port of this machine).
public protocol CallbackListener: Sendable {
    /// Starts serving (once; later calls return the same port) and returns the loopback port.
    func serve(_ desk: CallDesk) async throws -> Int
}

extension Deployer {
    /// Starts a planned deployment: under the project lock (unless `takesLock` is false: a job inside the
    /// deployment holding it), recorded in the store as it goes (`record` writes its row once the lock is
    /// held, and may refuse), with the interrupted run's `resume` point.
    func start(
        _ planned: PlannedRelease, loaded: LoadedProject, store: StateStore, id: String,
        resume: ResumePoint = ResumePoint(), wait: Bool, startedFrom: StartPoint,
        observer: (any DeploymentObserver)?, takesLock: Bool = true,
        record: @escaping @Sendable () throws(StoreError) -> Void
    ) -> DeploymentHandle {
        let plan = planned.plan
        let handle = DeploymentHandle(
            id: id, plan: plan, warnings: planned.warnings, startedFrom: startedFrom, observer: observer)
        let running = self.running
        let children = ChildLauncher(
            deployer: self, parent: id, directory: plan.projectDirectory, workspace: loaded.workspace)
        running.add(handle)
        let agentless = agentConnector == nil ? plan.targets.first { $0.transport.agent != nil } : nil
        handle.start(on: store.executor) {
            defer { running.remove(id) }
            if let agentless, let agent = agentless.transport.agent {
                throw ServiceError(
                    .refused,
                    "target '\(agentless.name)' is reached through agent '\(agent)', and agents connect only to "
                        + "lander server: deploy through the server (lander deploy --server URL …); nothing was done")
            }
            let lock = takesLock ? try await self.projectLock(plan, id: id, store: store, wait: wait, handle) : nil
            do {
                try record()
            } catch {
                await lock?.release()
                throw ServiceError(.refused, "\(error)")
            }
            let report = await self.run(
                plan, loaded: loaded, store: store, id: id, resume: resume, children: children, handle: handle)
            await lock?.release()
            return report
        }
        return handle
    }

    /// Who a deployment's lock claims name: what `lander status` and a waiter's message show.
    static func lockOwner(_ plan: Plan, id: String) -> String {
        "\(plan.project) → \(plan.environment), deployment \(id)"
    }

    /// Waits for (or, without `wait`, refuses at once when busy) the lock on the project and environment.
    private func projectLock(
        _ plan: Plan, id: String, store: StateStore, wait: Bool, _ handle: DeploymentHandle
    ) async throws -> StoreLease {
        let owner = Self.lockOwner(plan, id: id)
        let locks = StoreLocks(store: store, owner: owner)
        let lockName = "deploy:\(plan.project)/\(plan.environment)"
        do {
            return try await locks.acquire(lockName, limit: 1, as: owner, wait: wait) { holders in
                handle.emit(.waitingForLock(name: lockName, holders: holders, step: "", task: nil))
            }
        } catch let error as StoreError {
            throw ServiceError(
                .refused,
                "\(plan.project) → \(plan.environment) is being deployed: \(error) (without --no-wait, lander "
                    + "waits its turn)")
        }
    }

    /// Runs the recorded deployment to its end: the journal, the connections, the way home for targets that
    /// may call jobs; children started without waiting end before it does.
    private func run(
        _ plan: Plan, loaded: LoadedProject, store: StateStore, id: String, resume: ResumePoint,
        children: ChildLauncher, handle: DeploymentHandle
    ) async -> DeploymentReport {
        var resume = resume
        if plan.rolls {
            resume.leftOutOfPool =
                (try? store.leftOutOfPool(project: plan.project, environment: plan.environment)) ?? [:]
        }
        let journal = StoreJournal(store: store, deploymentID: id)
        let connections = ConnectionPool(
            localEnvironment: ProcessInfo.processInfo.environment, stopGrace: grace, agents: agentConnector,
            environment: plan.environment)
        let recorder = Mutex<Deployment?>(nil)
        let access = await openCalls(
            plan, loaded: loaded, store: store, id: id, children: children,
            record: { event in recorder.withLock { $0 }?.record(event) }, warn: { handle.emit($0) })
        let deployment = Deployment(
            plan: plan, id: id, scripts: loaded.scripts, sessionGrace: grace,
            connect: {
                connections.connection(target: $0.name, transport: $0.transport, root: $0.root, roles: $0.roles)
            },
            disconnect: { await connections.closeAll() },
            journal: journal, resume: resume,
            locks: StoreLocks(store: store, owner: Self.lockOwner(plan, id: id)),
            children: children, callbacks: access, events: { handle.emit($0) })
        recorder.withLock { $0 = deployment }
        let desk = self.desk
        // The deployment handles cancellation itself (cleanup hooks run); its report says it was cancelled.
        // Cancelling it also cancels the jobs its targets asked for, so their callers are answered.
        let report = await withTaskCancellationHandler {
            await deployment.run()
        } onCancel: {
            desk.cancelRuns(of: id)
        }
        if access != nil { await desk.close(id) }
        await children.awaitUnwaited()
        journal.close()
        return report
    }
}
