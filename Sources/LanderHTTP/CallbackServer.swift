import Foundation
import HTTPTypes
import Hummingbird
public import LanderService
import Logging
import NIOCore
import Synchronization

/// The phone-home endpoint: HTTP/1.1 on a loopback port of this machine, started on first use and kept
/// for the process's deployments. Local targets reach it directly; SSH targets through a socket forwarded
/// over their connection.
///
/// `POST /v1/calls` with `Authorization: Bearer TOKEN` and `{"job", "vars", "wait"}` runs (or joins) a
/// job; `GET /v1/calls/ID` waits for one started with `"wait": false`. `?view=outputs` answers with the
/// job's outputs alone. docs/coordination.md has the contract.
public final class CallbackServer: CallbackListener {
    private let started = Mutex<Task<Int, any Error>?>(nil)
    private let server = Mutex<Task<Void, any Error>?>(nil)

    /// Creates a server (nothing listens until a deployment needs it).
    public init() {}

    deinit { server.withLock { $0?.cancel() } }

    /// Starts listening on 127.0.0.1 at a port the system picks, once; returns the port.
    public func serve(_ desk: CallDesk) async throws -> Int {
        let task = started.withLock { state in
            if let task = state { return task }
            let task = Task { try await self.start(desk) }
            state = task
            return task
        }
        return try await task.value
    }

    /// Stops listening.
    public func stop() {
        server.withLock { $0?.cancel() }
    }

    private func start(_ desk: CallDesk) async throws -> Int {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: Self.router(desk),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: Logger(label: "lander.callback") { _ in SwiftLogNoOpLogHandler() })
        let running = Task { try await app.run() }
        server.withLock { $0 = running }
        for await port in ports where port > 0 { return port }
        running.cancel()
        throw CancellationError()
    }

    /// The routes.
    static func router(_ desk: CallDesk) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/calls") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let reply = await desk.call(
                authorization: request.headers[.authorization], body: Data(buffer: body),
                outputsOnly: request.uri.queryParameters["view"] == "outputs")
            return response(reply)
        }
        router.get("/v1/calls/:call") { request, context -> Response in
            let reply = await desk.result(
                authorization: request.headers[.authorization], call: context.parameters.get("call") ?? "",
                outputsOnly: request.uri.queryParameters["view"] == "outputs")
            return response(reply)
        }
        return router
    }

    /// A reply as an HTTP response.
    static func response(_ reply: CallReply) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        for (name, value) in reply.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(
            status: HTTPResponse.Status(code: reply.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
}
