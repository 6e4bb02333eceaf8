import Foundation
import HTTPTypes
import Hummingbird
import LanderStore

extension APIRouter {
    /// `GET /api/v1/deployments/ID/events`: Server-Sent Events. First the events so far (each `id:` its
    /// sequence number, `data:` the event envelope's JSON), then `event: snapshot-end`, then live events
    /// until the deployment ends. `Last-Event-ID` (or `?after=N`) skips what a client already saw.
    func events(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let user = try user(request)
        let id = context.parameters.get("id") ?? ""
        _ = try lookUp(id, for: user)
        let lastSeen =
            Self.lastEventID.flatMap { request.headers[$0] }.flatMap { Int($0) }
            ?? request.uri.queryParameters["after"].flatMap { Int($0) } ?? 0
        let followed = server.hub.follow(id, after: lastSeen)
        let stored = followed == nil ? try server.store.eventPayloads(of: id, after: lastSeen) : []
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        let body = ResponseBody { writer in
            var last = lastSeen
            for item in followed?.snapshot ?? stored.map({ ($0.sequence, $0.json) }) {
                try await writer.write(ByteBuffer(string: Self.frame(item.sequence, item.json)))
                last = item.sequence
            }
            try await writer.write(
                ByteBuffer(string: "event: snapshot-end\ndata: {\"last\":\(last),\"live\":\(followed != nil)}\n\n"))
            // Live events are exactly those after the snapshot (the hub hands each on once), possibly a little
            // out of order when several tasks sent them at once: none is dropped for its number.
            if let live = followed?.live {
                for await item in live where item.sequence > lastSeen || item.sequence == EventHub.keepAlive.sequence {
                    let text = item.sequence < 0 ? ": keep-alive\n\n" : Self.frame(item.sequence, item.json)
                    try await writer.write(ByteBuffer(string: text))
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// The header a reconnecting EventSource sends.
    static let lastEventID = HTTPField.Name("Last-Event-ID")

    /// One SSE frame (the JSON holds no newline).
    static func frame(_ sequence: Int, _ json: String) -> String { "id: \(sequence)\ndata: \(json)\n\n" }
}
