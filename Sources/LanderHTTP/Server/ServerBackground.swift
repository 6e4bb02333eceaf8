import Foundation
import LanderLua
import LanderModel
import LanderNotify
import LanderService
import LanderStore
import Synchronization

/// What a server does besides answering requests: sends the outbox all the time, and runs schedules when
/// due (each due time once across every process, through the store's claims).
final class ServerBackground: Sendable {
    let workspace: Workspace
    let store: StateStore
    let deployer: Deployer
    let outbox: Outbox
    let parallel: Int
    private let loops = Mutex<[Task<Void, Never>]>([])
    private let runs = Mutex<[UUID: Task<Void, Never>]>([:])

    init(workspace: Workspace, store: StateStore, deployer: Deployer, parallel: Int) {
        self.workspace = workspace
        self.store = store
        self.deployer = deployer
        self.parallel = parallel
        outbox = Outbox(workspace: workspace, store: store, pluginPath: PluginPath.standard(project: workspace.plugins))
    }

    /// Starts the outbox and the schedule loop.
    func start() {
        let outbox = self.outbox
        var started: [Task<Void, Never>] = []
        if outbox.isActive {
            try? outbox.prepare()
            started.append(Task(executorPreference: store.executor) { await outbox.run() })
        }
        if !workspace.schedules.isEmpty { started.append(Task(executorPreference: store.executor) { await self.scheduleLoop() }) }
        loops.withLock { $0 = started }
    }

    /// Claims what is due, runs it, and sleeps until the next due time (at most 30 s: another server may
    /// have changed the store, and a clock may jump).
    private func scheduleLoop() async {
        let scheduler = Scheduler(workspace: workspace, store: store)
        while !Task.isCancelled {
            let now = Date()
            for claim in (try? scheduler.claimDue(now: now)) ?? [] { launch(claim) }
            let next = scheduler.nextDue(after: now) ?? now.addingTimeInterval(30)
            let wait = min(max(next.timeIntervalSinceNow, 0.2), 30)
            try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
        }
    }

    private func launch(_ claim: ScheduleClaim) {
        let id = UUID()
        let task = Task(executorPreference: store.executor) {
            let outbox = self.outbox
            _ = await self.deployer.run(
                claim, in: self.workspace, store: self.store, parallel: self.parallel,
                mail: { subject, body in
                    try outbox.enqueueReport(
                        schedule: claim.schedule.name, dueAt: claim.dueAt, subject: subject, body: body)
                })
            _ = self.runs.withLock { $0.removeValue(forKey: id) }
        }
        runs.withLock { $0[id] = task }
    }

    /// Stops the loops; scheduled runs get `grace` to finish, then are cancelled (their cleanup runs); the
    /// outbox gets a last few seconds to send what they recorded.
    func stop(grace: Duration) async {
        for loop in loops.withLock({ $0 }) { loop.cancel() }
        let running = runs.withLock { Array($0.values) }
        if !running.isEmpty {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { for task in running { await task.value } }
                group.addTask { try? await Task.sleep(for: grace) }
                await group.next()
                for task in running { task.cancel() }
                group.cancelAll()
            }
            for task in running { await task.value }
        }
        if outbox.isActive { try? await outbox.drain(within: .seconds(5)) }
    }
}
