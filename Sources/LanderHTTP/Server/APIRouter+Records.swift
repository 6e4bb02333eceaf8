import Foundation
import Hummingbird
import LanderStore

extension APIRouter {
    /// `GET /api/v1/projects/NAME/releases`: the releases `lander release create` recorded, newest first.
    func releases(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let user = try user(request)
        let name = context.parameters.get("name") ?? ""
        _ = try server.workspace.served(name)
        try user.check(.viewer, project: name)
        let limit = request.uri.queryParameters["limit"].flatMap { Int($0) } ?? 50
        guard (1...1000).contains(limit) else { throw APIError.badRequest("limit is 1 to 1000") }
        return APIResponse.json(try server.store.releases(project: name, limit: limit))
    }

    /// `GET /api/v1/deployments/ID/milestones`: the milestones it reached, in order.
    func milestones(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let user = try user(request)
        let id = context.parameters.get("id") ?? ""
        _ = try lookUp(id, for: user)
        return APIResponse.json(try server.store.milestones(of: id))
    }

    /// `GET /api/v1/deployments/ID/calls`: the phone-home calls its targets made, answered or refused.
    func calls(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let user = try user(request)
        let id = context.parameters.get("id") ?? ""
        _ = try lookUp(id, for: user)
        return APIResponse.json(try server.store.audits(of: id))
    }
}
