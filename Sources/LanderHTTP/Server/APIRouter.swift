import Foundation
import HTTPTypes
import Hummingbird
import LanderModel
import LanderService
import LanderStore

/// The routes under `/api/v1`: every handler checks the request's token first.
struct APIRouter {
    let server: LanderServer

    var tokens: APITokens { APITokens(store: server.store) }

    /// The user of a request: its `Authorization: Bearer` token, or for a read, the dashboard's cookie (a
    /// browser's EventSource cannot send a header; a change always needs the header, so no other site can make
    /// a signed-in browser change anything).
    func user(_ request: Request) throws(APIError) -> APIUser {
        if request.headers[.authorization] == nil, request.method == .get,
            let cookie = request.cookies[DashboardRouter.cookie]?.value
        {
            return try tokens.user("Bearer " + cookie)
        }
        return try tokens.user(request.headers[.authorization])
    }

    func add(to router: Router<BasicRequestContext>) {
        let api = router.group("api/v1").add(middleware: JSONErrors())
        api.get("openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        api.get("projects") { request, _ in try projects(request) }
        api.get("status") { request, _ in try status(request) }
        api.get("deployments") { request, _ in try history(request) }
        api.post("deployments") { request, _ in try await deploy(request) }
        api.get("deployments/:id") { request, context in try await deployment(request, context) }
        api.post("deployments/:id/cancel") { request, context in try await cancel(request, context) }
        api.post("deployments/:id/resume") { request, context in try await resume(request, context) }
        api.get("deployments/:id/events") { request, context in try events(request, context) }
        api.get("deployments/:id/logs") { request, context in try logs(request, context) }
        api.get("locks") { request, _ in try locks(request) }
        api.get("servers") { request, _ in try servers(request) }
        api.get("projects/:name/releases") { request, context in try releases(request, context) }
        api.get("deployments/:id/milestones") { request, context in try milestones(request, context) }
        api.get("deployments/:id/calls") { request, context in try calls(request, context) }
        api.post("rollback") { request, _ in try await rollback(request) }
        api.post("promote") { request, _ in try await promote(request) }
        api.post("plan") { request, _ in try await plan(request) }
        addAgentRoutes(to: api)
    }

    private struct ProjectView: Encodable {
        var name: String
        var environments: [String]
    }

    private func projects(_ request: Request) throws -> Response {
        let user = try user(request)
        try user.check(.viewer)
        let visible = server.workspace.members.filter { member in
            user.record.project == nil || user.record.project == member.name
        }
        return APIResponse.json(visible.map { ProjectView(name: $0.name, environments: $0.environments) })
    }

    private func status(_ request: Request) throws -> Response {
        let user = try user(request)
        try user.check(.viewer)
        let scope = "status|\(user.record.project ?? "*")|\(user.record.environment ?? "*")"
        return APIResponse.json(bytes: try server.answers.value(scope) { APIResponse.bytes(try status(for: user)) })
    }

    /// The status a user's token covers: what `GET /status` answers and the dashboard's grid shows.
    func status(for user: APIUser) throws -> StoreStatus {
        try StoreStatus(workspace: server.workspace, store: server.store) { project, environment in
            user.sees(project: project, environment: environment)
        }
    }

    private func history(_ request: Request) throws -> Response {
        let user = try user(request)
        let project = request.uri.queryParameters["project"].map(String.init)
        let environment = request.uri.queryParameters["environment"].map(String.init)
        try user.check(.viewer, project: project, environment: environment)
        let limit = request.uri.queryParameters["limit"].flatMap { Int($0) } ?? 50
        guard (1...1000).contains(limit) else { throw APIError.badRequest("limit is 1 to 1000") }
        let before = request.uri.queryParameters["before"].map(String.init)
        if let before, (try? server.store.deployment(before))?.id != before {
            throw APIError.notFound("no deployment \(before) to page from")
        }
        let records = try server.store.deployments(
            project: project ?? user.record.project, environment: environment ?? user.record.environment,
            limit: limit, before: before)
        return APIResponse.json(records)
    }

    private func deploy(_ request: Request) async throws -> Response {
        let user = try user(request)
        let body = try await APIResponse.decode(DeployBody.self, from: request)
        try user.check(.deployer, project: body.project, environment: body.environment)
        let entry = try await server.queue.submit(body, by: user)
        return APIResponse.json(
            Queued(id: entry.id, state: "queued", position: server.queue.position(of: entry.id)),
            status: .accepted)
    }

    private struct Queued: Encodable {
        var id: String
        var state: String
        /// Its place in the queue (1: next); absent once it started.
        var position: Int?
    }

    struct DeploymentView: Encodable {
        var id: String
        var state: String
        var queue: QueuedDeployment?
        var position: Int?
        var deployment: DeploymentRecord?
        var children: [DeploymentRecord]
        /// What `lander show` shows: every task on every target, rollout moves, skipped steps and hooks, calls.
        var targetSteps: [TargetStepRecord] = []
        var rollout: [RolloutRecord] = []
        var notes: [StepNote] = []
        var calls: [CallAudit] = []
        /// Why it is not done yet: its queue position, the lock it waits for and who holds it, the
        /// milestone it waits for, or the step it runs.
        var why: String?
    }

    /// A deployment's record and queue entry (either may be missing, not both), once the id is well formed
    /// and the user may see it.
    func lookUp(_ id: String, for user: APIUser) throws -> (record: DeploymentRecord?, queued: QueuedDeployment?) {
        guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }), !id.isEmpty else {
            throw APIError.badRequest("'\(id)' is no deployment id")
        }
        let queued = try server.store.queuedDeployment(id)
        let record = try? server.store.deployment(id)
        guard let project = record?.project ?? queued?.project,
            let environment = record?.environment ?? queued?.environment
        else { throw APIError.notFound("no deployment \(id)") }
        try user.check(.viewer, project: project, environment: environment)
        return (record, queued)
    }

    /// Where a deployment stands from its record and queue entry; started from the queue but not yet
    /// recorded, it waits for its project's lock.
    static func state(record: DeploymentRecord?, queued: QueuedDeployment?) -> String {
        record?.status ?? (queued?.state == "started" ? "waiting" : queued?.state ?? "queued")
    }

    /// What `GET /deployments/ID` shows of a deployment looked up.
    func view(of id: String, record: DeploymentRecord?, queued: QueuedDeployment?) throws -> DeploymentView {
        let state = Self.state(record: record, queued: queued)
        let position = server.queue.position(of: id)
        var view = DeploymentView(
            id: id, state: state, queue: queued, position: position, deployment: record,
            children: (try? server.store.children(of: id)) ?? [], why: why(id, state: state, position: position))
        if record != nil {
            view.targetSteps = try server.store.targetSteps(of: id)
            view.rollout = try server.store.rollout(of: id)
            view.notes = try server.store.notes(of: id)
            view.calls = try server.store.audits(of: id)
        }
        return view
    }

    /// What a deployment waits for, in words (nil when it is done).
    private func why(_ id: String, state: String, position: Int?) -> String? {
        if state == "queued" { return position.map { "queued: \($0) ahead of it, counting itself" } ?? "queued" }
        guard state == "running" || state == "waiting" else { return nil }
        let claims = (try? server.store.lockClaims()) ?? []
        if let waiting = claims.first(where: { !$0.holding && $0.owner.contains(id) }) {
            let holders = claims.filter { $0.holding && $0.name == waiting.name }.map(\.owner)
            return "waits for lock '\(waiting.name)', held by " + holders.joined(separator: "; ")
        }
        if let what = try? server.store.waitingFor(in: id) { return "waits for " + what }
        return (try? server.store.currentStep(of: id)).flatMap { $0 }.map { "runs step \($0)" }
    }

    private func locks(_ request: Request) throws -> Response {
        try user(request).check(.viewer)
        return APIResponse.json(try server.store.lockClaims())
    }

    private struct RollbackBody: Decodable {
        var project: String
        var environment: String
        var to: String?
    }

    private func rollback(_ request: Request) async throws -> Response {
        let user = try user(request)
        let body = try await APIResponse.decode(RollbackBody.self, from: request)
        try user.check(.deployer, project: body.project, environment: body.environment)
        let entry = try await server.queue.rollback(
            project: body.project, environment: body.environment, to: body.to, by: user)
        return APIResponse.json(
            Queued(id: entry.id, state: "queued", position: server.queue.position(of: entry.id)), status: .accepted)
    }

    private func deployment(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let user = try user(request)
        let id = context.parameters.get("id") ?? ""
        let (record, queued) = try lookUp(id, for: user)
        return APIResponse.json(
            bytes: try server.answers.value("deployment|" + id) {
                APIResponse.bytes(try view(of: id, record: record, queued: queued))
            })
    }

    private func cancel(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let user = try user(request)
        let id = context.parameters.get("id") ?? ""
        let (record, queued) = try lookUp(id, for: user)
        try user.check(
            .deployer, project: record?.project ?? queued?.project,
            environment: record?.environment ?? queued?.environment)
        let state = Self.state(record: record, queued: queued)
        if state == "queued", try server.store.dequeue(id, state: "refused", detail: "cancelled by \(user.name)") {
            server.hub.close(id)
            return APIResponse.json(["id": id, "state": "cancelled"])
        }
        guard let handle = await server.queue.handle(id) else {
            throw APIError(.conflict, "not_running", "deployment \(id) is \(state), not running here")
        }
        handle.cancel()
        return APIResponse.json(["id": id, "state": "cancelling"], status: .accepted)
    }

    private func resume(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let user = try user(request)
        let id = context.parameters.get("id") ?? ""
        let (record, queued) = try lookUp(id, for: user)
        try user.check(
            .deployer, project: record?.project ?? queued?.project,
            environment: record?.environment ?? queued?.environment)
        _ = try await server.queue.resume(id, by: user)
        return APIResponse.json(["id": id, "state": "resuming"], status: .accepted)
    }

    private struct PromoteBody: Decodable {
        var from: String
        var to: String
        var projects: [String]?
        var parallel: Int?
        var dryRun: Bool?
    }

    private struct Promoted: Encodable {
        var from: String
        var to: String
        var succeeded: Bool
        var entries: [Promotion.Entry]
    }

    /// Promotes what each project (or those named) runs in `from` to `to`, wave by wave, and answers when it
    /// is done (or at once with the plan, for a dry run); the token must cover every project it touches.
    private func promote(_ request: Request) async throws -> Response {
        let user = try user(request)
        let body = try await APIResponse.decode(PromoteBody.self, from: request)
        let planned: Promotion
        do {
            planned = try server.deployer.planPromotion(
                in: server.workspace, from: body.from, to: body.to, projects: body.projects ?? [])
        } catch {
            throw APIError.badRequest(error.description)
        }
        for entry in planned.entries { try user.check(.deployer, project: entry.project, environment: body.to) }
        let result =
            body.dryRun == true
            ? planned
            : await server.deployer.promote(
                planned, in: server.workspace, parallel: min(body.parallel ?? 4, server.queue.limit)
            ) { _ in }
        return APIResponse.json(
            Promoted(from: result.from, to: result.to, succeeded: result.succeeded, entries: result.entries))
    }

    private func logs(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let user = try user(request)
        let id = context.parameters.get("id") ?? ""
        let record: DeploymentRecord
        do {
            record = try server.store.deployment(id)
        } catch {
            throw APIError.notFound("no deployment \(id)")
        }
        try user.check(.viewer, project: record.project, environment: record.environment)
        let target = request.uri.queryParameters["target"].map(String.init)
        let step = request.uri.queryParameters["step"].map(String.init)
        return APIResponse.json(try server.store.logs(of: record.id, target: target, step: step))
    }
}
