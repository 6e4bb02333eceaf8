import Foundation
import HTTPTypes
import Hummingbird
import LanderService
import LanderStore

/// `GET /ui/grid/events`: the grid's cells pushed to a browser as Server-Sent Events (`event: cell`, data
/// `{"id", "state", "html"}`): all of them first, then each one whose content changed. The stream looks at the
/// store's generation twice a second; the cells are made once a change for every browser with the same scope
/// (`StoreCache`), so a thousand open tabs cost what one does.
extension DashboardRouter {
    /// How often a stream looks for a change.
    static let gridInterval = Duration.milliseconds(500)

    func gridEvents(_ request: Request) throws -> Response {
        let user = try api.user(request)
        try user.check(.viewer)
        let scope = "\(user.record.project ?? "*")|\(user.record.environment ?? "*")"
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        let body = ResponseBody { writer in
            var sent: [String: DashboardViews.Cell] = [:]
            var quiet = Duration.zero
            while !Task.isCancelled {
                let cells = (try? server.gridCells.value(scope) { try self.cells(for: user) }) ?? []
                var frames = ""
                for cell in cells {
                    // An age that grew is no change to push: the page's script keeps ages current.
                    var shown = cell
                    shown.age = nil
                    guard sent[cell.id] != shown else { continue }
                    sent[cell.id] = shown
                    frames += "event: cell\ndata: \(Self.json(cell))\n\n"
                }
                if frames.isEmpty, quiet >= EventHub.heartbeat {
                    frames = ": keep-alive\n\n"
                    quiet = .zero
                }
                if !frames.isEmpty {
                    try await writer.write(ByteBuffer(string: frames))
                } else {
                    quiet += Self.gridInterval
                }
                try await Task.sleep(for: Self.gridInterval)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Every cell of the grid the user sees.
    private func cells(for user: APIUser) throws -> [DashboardViews.Cell] {
        DashboardViews.grid(try api.status(for: user), workspace: server.workspace).rows.flatMap(\.cells)
    }

    /// A cell's frame data: its id, its state (the cell's class) and its inner HTML.
    private static func json(_ cell: DashboardViews.Cell) -> String {
        let object = ["id": cell.id, "state": cell.state, "html": DashboardTemplates.render(cell, "cell")]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
