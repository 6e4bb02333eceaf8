import Foundation
import Hummingbird
import LanderService
import LanderStore

extension APIRouter {
    /// The servers sharing the store and what each runs, as far as a token sees.
    struct ServersView: Encodable {
        /// Every server that ran on the store, newest first.
        var servers: [ServerRecord]
        /// Running deployments the token covers, by id: the server (`HOST:PID`) running each.
        var running: [String: String]
        /// How many requests wait in the queue.
        var queued: Int
    }

    /// What `GET /api/v1/servers` answers and the dashboard's servers page shows.
    func servers(for user: APIUser) throws -> ServersView {
        let visible = Set(try status(for: user).running.map(\.id))
        let running = try server.store.serversOfRunningDeployments().filter { visible.contains($0.key) }
        return ServersView(servers: try server.store.servers(), running: running, queued: try server.store.queued().count)
    }

    /// `GET /api/v1/servers`: `lander server status --json` over HTTP (viewer).
    func servers(_ request: Request) throws -> Response {
        let user = try user(request)
        try user.check(.viewer)
        return APIResponse.json(try servers(for: user))
    }
}
