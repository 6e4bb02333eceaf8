import Foundation
import LanderEngine
import LanderModel
import LanderService
import LanderStore

/// What `POST /api/v1/deployments` takes, and what the queue keeps of every request.
struct DeployBody: Codable, Sendable {
    var project: String
    var environment: String
    var version: String?
    var release: String?
    var packages: [String: String]?
    /// `rollback` or `resume` for those (set by their routes; absent for a deployment).
    var kind: String?
    /// The version a rollback goes back to (default: the previous successful release).
    var to: String?
    /// The interrupted deployment a resume continues.
    var resumes: String?
}

/// Deployments asked of the server: kept in the store's queue (so a request survives a restart), started
/// oldest first while fewer than `limit` run, each through the Deployer (which waits for its project's
/// lock: two of one project and environment run one after the other). Every server of a store takes from
/// the one queue (an entry is taken by one, for a lease its heartbeat renews) and resumes what a dead
/// server was running (decision 0019).
actor DeploymentQueue {
    let deployer: Deployer
    let store: StateStore
    let workspace: Workspace
    let hub: EventHub
    let limit: Int
    private var running: [String: DeploymentHandle] = [:]
    /// Entries taken from the queue and not yet running (a pump waits for them to start).
    private var starting = 0
    private var accepting = true

    init(deployer: Deployer, store: StateStore, workspace: Workspace, hub: EventHub, limit: Int) {
        self.deployer = deployer
        self.store = store
        self.workspace = workspace
        self.hub = hub
        self.limit = limit
    }

    /// Queues a deployment (checked against the workspace first) and starts what fits.
    func submit(_ body: DeployBody, by user: APIUser) throws(APIError) -> QueuedDeployment {
        var body = body
        (body.kind, body.to, body.resumes) = (nil, nil, nil)
        guard (body.version == nil) != (body.release == nil) else {
            throw .badRequest("give exactly one of version and release")
        }
        return try enqueue(body, by: user)
    }

    /// Queues a rollback of a project in an environment (to `version`'s release, or the previous one); its
    /// queue id is the rollback's deployment id.
    func rollback(project: String, environment: String, to version: String?, by user: APIUser) throws(APIError)
        -> QueuedDeployment
    {
        // Nothing to roll back to is said now, not after a wait in the queue.
        let found: DeploymentRecord?
        do {
            found = try store.rollbackTarget(project: project, environment: environment, version: version)
        } catch {
            throw APIError(.conflict, "refused", "\(error)")
        }
        guard found != nil else {
            throw APIError(
                .conflict, "refused",
                version.map { "no successful deployment of \(project) \($0) to \(environment) is recorded" }
                    ?? "\(project) has no earlier successful deployment in \(environment) to roll back to")
        }
        return try enqueue(
            DeployBody(project: project, environment: environment, kind: "rollback", to: version), by: user)
    }

    /// Queues the resumption of an interrupted deployment (refused at once when it cannot be resumed).
    func resume(_ id: String, by user: APIUser) throws(APIError) -> QueuedDeployment {
        guard running[id] == nil else { throw APIError(.conflict, "running", "deployment \(id) is running") }
        let record: DeploymentRecord
        do {
            record = try store.deployment(id)
        } catch {
            throw .notFound("no deployment \(id)")
        }
        do {
            try store.checkResumable(record)
        } catch {
            throw APIError(.conflict, "not_resumable", "\(error)")
        }
        let body = DeployBody(project: record.project, environment: record.environment, kind: "resume", resumes: id)
        return try enqueue(body, by: user, following: id)
    }

    /// Keeps a request in the store's queue and starts what fits; the events of `following` (the deployment
    /// it will run, when that is not the entry's own id) are kept for followers from now on.
    private func enqueue(_ body: DeployBody, by user: APIUser, following: String? = nil) throws(APIError)
        -> QueuedDeployment
    {
        guard accepting else {
            throw APIError(.serviceUnavailable, "stopping", "the server is stopping; try again later")
        }
        _ = try workspace.served(body.project, in: body.environment)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let entry = QueuedDeployment(
            id: Deployment.newID(), request: String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self),
            project: body.project, environment: body.environment, requestedBy: user.name, queuedAt: Date())
        do {
            try store.enqueue(entry, version: body.version)
        } catch {
            throw APIError(.internalServerError, "store", "\(error)")
        }
        hub.open(following ?? entry.id)
        Task(executorPreference: store.executor) { await self.pump() }
        return entry
    }

    /// Starts queued deployments while there is room (a read first: most looks find nothing waiting, and
    /// need not take the store's write lock).
    /// A project and environment whose deployment a dead server left interrupted is skipped until that
    /// deployment is resumed (a new one would be refused until then).
    func pump() async {
        guard accepting, running.count + starting < limit, (try? store.queued())?.isEmpty == false else { return }
        // Read once a pump: what waits for takeover does not change while this server starts entries.
        let skipping = Set(
            ((try? store.orphanedDeployments()) ?? []).map { StateStore.cell($0.project, $0.environment) })
        while accepting, running.count + starting < limit {
            starting += 1
            guard let next = try? store.claimQueued(skipping: skipping) else {
                starting -= 1
                return
            }
            await start(next)
            starting -= 1
        }
    }

    /// Every second until stopped: renews this server's heartbeat and leases (every third of a lease),
    /// puts back what a dead server took from the queue, resumes what it was running, and starts what
    /// waits (another server may have queued it).
    func watch() async {
        let signal = WakeSignal()
        // Another server's queued request wakes this one at once on PostgreSQL; the second's look stays.
        let listening = store.onQueued { signal.wake() }
        defer { _ = listening }
        var beat: ContinuousClock.Instant?
        while accepting, !Task.isCancelled {
            if beat.map({ ContinuousClock.now - $0 >= store.lease / 3 }) ?? true {
                beat = ContinuousClock.now
                try? store.serverHeartbeat(running: running.count)
                _ = try? store.requeueLapsedClaims()
            }
            await takeOver()
            await pump()
            await signal.wait(atMost: .seconds(1))
        }
    }

    /// Resumes, while there is room, deployments whose server died (the same rules as `lander resume`: what
    /// finished stands, what the dead run left running is stopped first). Of several servers trying, the
    /// store lets one take each.
    private func takeOver() async {
        guard accepting, running.count + starting < limit, let orphans = try? store.orphanedDeployments() else {
            return
        }
        for record in orphans where accepting && running.count + starting < limit && running[record.id] == nil {
            guard let member = workspace.member(named: record.project) else { continue }
            hub.open(record.id)
            do {
                let handle = try await deployer.resume(
                    record.id, projectDirectory: member.directory, observer: hub.observer())
                track(handle, as: record.id)
            } catch {
                hub.close(record.id)
            }
        }
    }

    /// Where an entry stands in the queue (1 = next), nil when it is not waiting.
    nonisolated func position(of id: String) -> Int? {
        (try? store.queued())?.firstIndex { $0.id == id }.map { $0 + 1 }
    }

    /// The handle of a deployment running here.
    func handle(_ id: String) -> DeploymentHandle? { running[id] }

    private func start(_ entry: QueuedDeployment) async {
        let body: DeployBody
        do {
            body = try JSONDecoder().decode(DeployBody.self, from: Data(entry.request.utf8))
        } catch {
            _ = try? store.dequeue(entry.id, state: "refused", detail: "the queued request cannot be read: \(error)")
            return
        }
        let id = body.resumes ?? entry.id
        do {
            hub.open(id)
            track(
                try await launch(body, id: entry.id, by: entry.requestedBy), as: id,
                entry: body.resumes == nil ? entry : nil)
        } catch {
            hub.close(id)
            try? store.refuseQueued(entry.id, detail: error.description)
        }
    }

    /// Starts what a queue entry asks for through the Deployer: a deployment (with the entry's id), a
    /// rollback (likewise) or the resumption of an interrupted deployment.
    private func launch(_ body: DeployBody, id: String, by user: String) async throws(ServiceError)
        -> DeploymentHandle
    {
        let project = ProjectReference.member(body.project, workspace: workspace.file)
        switch body.kind {
        case "rollback":
            return try await deployer.rollback(
                project, environment: body.environment, to: body.to, id: id, requestedBy: user,
                observer: hub.observer())
        case "resume":
            guard let resumed = body.resumes, let member = workspace.member(named: body.project) else {
                throw ServiceError(.invalidRequest, "the queued resumption names no deployment of the workspace")
            }
            return try await deployer.resume(resumed, projectDirectory: member.directory, observer: hub.observer())
        default:
            var made = DeploymentRequest(
                project: project, environment: body.environment,
                version: body.release.map(VersionChoice.release) ?? .version(body.version ?? ""),
                packages: body.packages ?? [:],
                requester: Requester(user: user, host: ProcessInfo.processInfo.hostName, channel: .commandLine))
            made.id = id
            return try await deployer.deploy(made, observer: hub.observer())
        }
    }

    /// Keeps a running deployment's handle until it ends. A queue `entry` whose deployment was refused
    /// before it was recorded goes back to the queue when a dead server's deployment of its project and
    /// environment was in the way (it runs once that is resumed), and is marked refused, with why, otherwise.
    private func track(_ handle: DeploymentHandle, as id: String, entry: QueuedDeployment? = nil) {
        running[id] = handle
        let store = self.store
        Task(executorPreference: store.executor) {
            do {
                _ = try await handle.report()
            } catch {
                if let entry, (try? store.deployment(entry.id)) == nil {
                    let orphans = (try? store.orphanedDeployments()) ?? []
                    if orphans.contains(where: { $0.project == entry.project && $0.environment == entry.environment }) {
                        _ = try? store.requeue(entry.id)
                    } else {
                        try? store.refuseQueued(entry.id, detail: "\(error)")
                    }
                }
            }
            await self.ended(id)
        }
    }

    private func ended(_ id: String) async {
        running[id] = nil
        hub.close(id)
        await pump()
    }

    /// Stops taking work; lets running deployments finish for up to `grace`, then cancels them (their
    /// cleanup runs) and waits for them. Queued ones stay queued for the next start.
    func drain(grace: Duration) async {
        accepting = false
        let deadline = ContinuousClock.now + grace
        while !running.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
        let left = Array(running.values)
        for handle in left { handle.cancel() }
        for handle in left { _ = try? await handle.report() }
    }
}

extension Workspace {
    /// A member the server serves, in one of its environments when named; 404 with what there is otherwise.
    func served(_ project: String, in environment: String? = nil) throws(APIError) -> Member {
        guard let member = member(named: project) else {
            throw .notFound("no project '\(project)' in the workspace")
        }
        if let environment, !member.environments.isEmpty, !member.environments.contains(environment) {
            throw .notFound(
                "\(project) has no environment '\(environment)'; it has " + member.environments.joined(separator: ", "))
        }
        return member
    }
}
