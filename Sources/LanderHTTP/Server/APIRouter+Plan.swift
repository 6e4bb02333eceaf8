import Foundation
import Hummingbird
import LanderService

extension APIRouter {
    /// What `POST /api/v1/plan` takes.
    struct PlanBody: Decodable {
        var project: String
        var environment: String
        var version: String?
        var release: String?
        var packages: [String: String]?
        /// text (default), json, mermaid or dot.
        var format: String?
        var ignoreRequirements: Bool?
    }

    private struct Planned: Encodable {
        /// The plan as `lander plan` prints it in that format.
        var output: String
        /// The planner's warnings, one line each.
        var warnings: [String]
    }

    /// `POST /api/v1/plan`: what a deployment would do, planned from the served workspace, printed as
    /// `lander plan` prints it (a viewer may ask; nothing runs or is recorded).
    func plan(_ request: Request) async throws -> Response {
        let user = try user(request)
        let body = try await APIResponse.decode(PlanBody.self, from: request)
        try user.check(.viewer, project: body.project, environment: body.environment)
        guard let format = PlanRenderer.Format(rawValue: body.format ?? "text") else {
            throw APIError.badRequest("format is one of text, json, mermaid, dot; not '\(body.format ?? "")'")
        }
        _ = try server.workspace.served(body.project, in: body.environment)
        guard body.version == nil || body.release == nil else {
            throw APIError.badRequest("give at most one of version and release")
        }
        var asked = DeploymentRequest(
            project: .member(body.project, workspace: server.workspace.file), environment: body.environment,
            version: body.release.map(VersionChoice.release) ?? .version(body.version ?? "VERSION"),
            packages: body.packages ?? [:])
        asked.ignoreRequirements = body.ignoreRequirements ?? false
        let (loaded, planned): (LoadedProject, PlannedRelease)
        do {
            (loaded, planned) = try await server.deployer.plan(asked)
        } catch {
            throw APIError(error)
        }
        var output = PlanRenderer(plan: planned.plan).render(format)
        if format == .text, let environment = loaded.project.environment(named: body.environment) {
            output += PlanRenderer.jobs(loaded.project, in: environment).map { "\n" + $0 }.joined()
        }
        return APIResponse.json(Planned(output: output, warnings: planned.warnings.map(\.description)))
    }
}

extension APIError {
    /// A service refusal as the API answers it: an invalid project 422 (its diagnostics with file:line
    /// first), a request that does not hold together 400, anything else refused 409.
    init(_ error: ServiceError) {
        switch error.kind {
        case .invalidProject: self.init(.unprocessableContent, "invalid_project", error.description)
        case .invalidRequest: self.init(.badRequest, "bad_request", error.description)
        default: self.init(.conflict, "refused", error.description)
        }
    }
}
