import Foundation
import HTTPTypes
import Hummingbird
import LanderService
import LanderStore

/// The dashboard at `/`: the grid, a page a deployment, history and locks, server-rendered (readable with no
/// script), kept live by pushed events. A browser signs in with an API token, kept in an HttpOnly cookie.
struct DashboardRouter {
    let server: LanderServer
    let api: APIRouter
    /// Whether the server speaks HTTPS (the cookie is then `Secure`).
    let secure: Bool

    /// The cookie that carries a browser's token.
    static let cookie = "lander_token"

    func add(to router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in try page(request) { user in try grid(user) } }
        router.get("login") { _, _ in html(DashboardTemplates.render([String: String](), "login"), title: "Sign in") }
        router.post("login") { request, _ in try await login(request) }
        router.post("logout") { _, _ in logout() }
        router.get("deployments/:id") { request, context in
            try page(request) { user in try deployment(context.parameters.get("id") ?? "", for: user) }
        }
        router.get("history") { request, _ in try page(request) { user in try history(request, for: user) } }
        router.get("locks") { request, _ in try page(request) { user in try locks(user) } }
        router.get("servers") { request, _ in try page(request) { user in try servers(user) } }
        router.get("ui/grid/events") { request, _ in try gridEvents(request) }
    }

    /// A page for a signed-in browser: its body and script, or the way to sign in.
    private func page(_ request: Request, _ body: (APIUser) throws -> Page) throws -> Response {
        guard let user = try? api.user(request) else {
            return Response(status: .seeOther, headers: [.location: "/login"])
        }
        do {
            let made = try body(user)
            return html(made.body, title: made.title, user: user, script: made.script)
        } catch let error as APIError {
            let text = DashboardTemplates.render(
                ["code": "\(error.status.code)", "reason": error.status.reasonPhrase, "message": error.message], "error"
            )
            return html(text, title: error.status.reasonPhrase, user: user, status: error.status)
        }
    }

    private func html(
        _ body: String, title: String, user: APIUser? = nil, script: String? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        let layout: [String: Any] = [
            "title": title, "workspace": server.workspace.name, "body": body, "user": Self.orFalse(user?.name),
            "script": Self.orFalse(script),
        ]
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardTemplates.render(layout, "layout"))))
    }

    private func login(_ request: Request) async throws -> Response {
        var request = request
        let form = String(buffer: try await request.collectBody(upTo: 4096))
        let token =
            form.split(separator: "&").compactMap { pair -> String? in
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, parts[0] == "token" else { return nil }
                return parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }.first?.trimmingCharacters(in: .whitespaces) ?? ""
        do {
            _ = try api.tokens.user("Bearer " + token)
        } catch {
            let body = DashboardTemplates.render(["error": error.message], "login")
            return html(body, title: "Sign in", status: .unauthorized)
        }
        var response = Response(status: .seeOther, headers: [.location: "/"])
        response.setCookie(
            Cookie(name: Self.cookie, value: token, path: "/", secure: secure, httpOnly: true, sameSite: .strict))
        return response
    }

    private func logout() -> Response {
        var response = Response(status: .seeOther, headers: [.location: "/login"])
        response.setCookie(
            Cookie(
                name: Self.cookie, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .strict))
        return response
    }
}
