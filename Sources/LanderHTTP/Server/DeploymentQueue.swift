import Foundation
import LanderEngine
import LanderModel
import LanderService
import LanderStore

/// What `POST /api/v1/deployments` takes.
struct DeployBody: Codable, Sendable {
    var project: String
    var environment: String
    var version: String?
    var release: String?
    var packages: [String: String]?
}

/// Deployments asked of the server: kept in the store's queue (so a request survives a restart), started
/// oldest first while fewer than `limit` run, each through the Deployer (which waits for its project's
/// lock: two of one project and environment run one after the other).
actor DeploymentQueue {
    let deployer: Deployer
    let store: StateStore
    let workspace: Workspace
    let hub: EventHub
    let limit: Int
    private var running: [String: DeploymentHandle] = [:]
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
        guard accepting else {
            throw APIError(.serviceUnavailable, "stopping", "the server is stopping; try again later")
        }
        guard let member = workspace.member(named: body.project) else {
            throw .notFound("no project '\(body.project)' in the workspace")
        }
        guard member.environments.isEmpty || member.environments.contains(body.environment) else {
            throw .notFound(
                "\(body.project) has no environment '\(body.environment)'; it has "
                    + member.environments.joined(separator: ", "))
        }
        guard (body.version == nil) != (body.release == nil) else {
            throw .badRequest("give exactly one of version and release")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let entry = QueuedDeployment(
            id: Deployment.newID(), request: String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self),
            project: body.project, environment: body.environment, requestedBy: user.name, queuedAt: Date())
        do {
            try store.enqueue(entry)
        } catch {
            throw APIError(.internalServerError, "store", "\(error)")
        }
        hub.open(entry.id)
        Task { await self.pump() }
        return entry
    }

    /// Starts queued deployments while there is room.
    func pump() async {
        guard accepting else { return }
        while running.count < limit, let next = (try? store.queued())?.first {
            guard (try? store.dequeue(next.id, state: "started")) == true else { continue }
            await start(next)
        }
    }

    /// Where an entry stands in the queue (1 = next), nil when it is not waiting.
    nonisolated func position(of id: String) -> Int? {
        (try? store.queued())?.firstIndex { $0.id == id }.map { $0 + 1 }
    }

    /// The handle of a deployment running here.
    func handle(_ id: String) -> DeploymentHandle? { running[id] }

    private func start(_ entry: QueuedDeployment) async {
        let request: DeploymentRequest
        do {
            let body = try JSONDecoder().decode(DeployBody.self, from: Data(entry.request.utf8))
            var made = DeploymentRequest(
                project: .member(body.project, workspace: workspace.file), environment: body.environment,
                version: body.release.map(VersionChoice.release) ?? .version(body.version ?? ""),
                packages: body.packages ?? [:],
                requester: Requester(
                    user: entry.requestedBy, host: ProcessInfo.processInfo.hostName, channel: .commandLine))
            made.id = entry.id
            request = made
        } catch {
            _ = try? store.dequeue(entry.id, state: "refused", detail: "the queued request cannot be read: \(error)")
            return
        }
        do {
            let handle = try await deployer.deploy(request, observer: hub.observer())
            running[entry.id] = handle
            Task {
                _ = try? await handle.report()
                await self.ended(entry.id)
            }
        } catch {
            hub.close(entry.id)
            try? store.refuseQueued(entry.id, detail: error.description)
        }
    }

    /// Resumes an interrupted (or cancelled, still newest) deployment now, following it like the others.
    func resume(_ id: String) async throws(APIError) {
        guard accepting else {
            throw APIError(.serviceUnavailable, "stopping", "the server is stopping; try again later")
        }
        guard running[id] == nil else { throw APIError(.conflict, "running", "deployment \(id) is running") }
        let record: DeploymentRecord
        do {
            record = try store.deployment(id)
        } catch {
            throw .notFound("no deployment \(id)")
        }
        guard let member = workspace.member(named: record.project) else {
            throw .notFound("\(record.project) is no longer a project of the workspace")
        }
        hub.open(id)
        do {
            let handle = try await deployer.resume(id, projectDirectory: member.directory, observer: hub.observer())
            running[id] = handle
            Task {
                _ = try? await handle.report()
                await self.ended(id)
            }
        } catch {
            hub.close(id)
            throw APIError(.conflict, "not_resumable", error.description)
        }
    }

    /// Rolls a project back in an environment now (the previous successful release, or `version`'s).
    func rollback(project: String, environment: String, to version: String?) async throws(APIError) -> String {
        guard accepting else {
            throw APIError(.serviceUnavailable, "stopping", "the server is stopping; try again later")
        }
        guard workspace.member(named: project) != nil else {
            throw .notFound("no project '\(project)' in the workspace")
        }
        do {
            let handle = try await deployer.rollback(
                .member(project, workspace: workspace.file), environment: environment, to: version,
                observer: hub.observer())
            running[handle.id] = handle
            Task {
                _ = try? await handle.report()
                await self.ended(handle.id)
            }
            return handle.id
        } catch {
            throw APIError(.conflict, "refused", error.description)
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
