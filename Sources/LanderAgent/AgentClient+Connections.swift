import Foundation
import HummingbirdWSClient
import LanderTransport
import Logging
import NIOCore
import Synchronization

extension AgentClient {
    /// Connects to every server and stays connected until cancelled or refused; returns why it stopped.
    /// A loop a server: the given ones for ever, the learned ones while their server is listed and not
    /// served by another connection. Request ids are remembered across every connection.
    public func run(_ identity: AgentIdentity) async -> AgentError {
        let routes = AgentRoutes(given: servers)
        let memory = AgentRequestMemory()
        return await withTaskGroup(of: Void.self) { group -> AgentError in
            for url in servers {
                group.addTask { await self.serve(url, learned: false, identity, routes, memory) }
            }
            var stop = AgentError("stopped")
            for await event in routes.events {
                switch event {
                case .learned(let address):
                    guard let url = URL(string: address), ["http", "https"].contains(url.scheme ?? "") else {
                        say("lander agent \(identity.name): a server advertises \(address), which is no http(s) URL")
                        continue
                    }
                    say("lander agent \(identity.name): the store lists a server at \(address); connecting to it too")
                    group.addTask { await self.serve(url, learned: true, identity, routes, memory) }
                case .refused(let error):
                    stop = error
                }
                if stop.refused { break }
            }
            group.cancelAll()
            await group.waitForAll()
            return stop
        }
    }

    /// Holds the connection to one server, reconnecting after each loss; a learned server's loop ends when
    /// the store no longer lists it.
    private func serve(
        _ url: URL, learned: Bool, _ identity: AgentIdentity, _ routes: AgentRoutes, _ memory: AgentRequestMemory
    ) async {
        var failures = 0
        while !Task.isCancelled {
            if learned {
                switch routes.advice(for: AgentRoutes.key(url)) {
                case .stop:
                    say("lander agent \(identity.name): \(url.absoluteString) is no longer a live server; not dialling it")
                    return
                case .wait:
                    try? await Task.sleep(for: .seconds(1))
                    continue
                case .dial: break
                }
            }
            let started = ContinuousClock.now
            do {
                try await connectOnce(url, identity, routes, memory)
                say("lander agent \(identity.name): \(url.absoluteString) closed the connection")
            } catch let error as AgentError where error.refused {
                routes.refused(error)
                return
            } catch {
                say("lander agent \(identity.name): connection to \(url.absoluteString) lost: \(error)")
            }
            // A connection that held a while starts the backoff afresh.
            failures = ContinuousClock.now - started > .seconds(30) ? 1 : failures + 1
            let base = min(30, 0.5 * pow(2, Double(min(failures - 1, 10))))
            let wait = base * Double.random(in: 0.5...1.0)
            say("lander agent \(identity.name): reconnecting to \(url.absoluteString) in \(String(format: "%.1f", wait))s")
            try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
        }
    }

    /// One connection: what it starts runs under an executor of its own, stopped when it ends.
    private func connectOnce(
        _ url: URL, _ identity: AgentIdentity, _ routes: AgentRoutes, _ memory: AgentRequestMemory
    ) async throws {
        let executor = AgentExecutor(
            name: identity.name, workDir: workDir, environment: ProcessInfo.processInfo.environment, memory: memory)
        let token = UUID()
        let refusal = Mutex<String?>(nil)
        defer { routes.disconnected(token) }
        _ = try await withTaskCancellationHandler {
            try await WebSocketClient.connect(
                url: Self.connectURL(url), configuration: try configuration(identity, for: url),
                tlsConfiguration: tlsConfiguration(for: url),
                logger: Logger(label: "lander.agent") { _ in SwiftLogNoOpLogHandler() }
            ) { inbound, outbound, _ in
                await self.exchange(inbound, outbound, url, token, executor, routes, refusal)
            }
        } onCancel: {
            executor.stopAll()
        }
        if let reason = refusal.withLock({ $0 }) {
            throw AgentError("\(url.absoluteString) refused agent \(identity.name): \(reason)", refused: true)
        }
    }

    /// Reads what the server sends until the connection ends; one writer drains the outbox.
    private func exchange(
        _ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, _ url: URL, _ token: UUID,
        _ executor: AgentExecutor, _ routes: AgentRoutes, _ refusal: borrowing Mutex<String?>
    ) async {
        let outbox = AgentOutbox()
        outbox.send(AgentMessage(.hello))
        let writer = Task {
            while let frame = await outbox.next() {
                switch frame {
                case .text(let text): try? await outbound.write(.text(text))
                case .binary(let bytes): try? await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                }
            }
        }
        do {
            for try await message in inbound.messages(maxSize: AgentWire.maxMessage) {
                switch message {
                case .binary(let buffer):
                    executor.receive(binary: Array(buffer.readableBytesView), answering: outbox)
                case .text(let text):
                    guard let parsed = AgentMessage(json: text) else { continue }
                    switch parsed.op {
                    case .welcome:
                        routes.connected(token, server: parsed.server, servers: parsed.servers)
                        say("lander agent \(name): connected to \(url.absoluteString) (\(Self.scope(parsed)))")
                    case .servers: routes.learn(parsed.servers ?? [])
                    case .refused: refusal.withLock { $0 = parsed.text ?? "refused" }
                    default: executor.receive(text: text, answering: outbox)
                    }
                }
                if refusal.withLock({ $0 != nil }) { break }
            }
        } catch {}
        outbox.close()
        writer.cancel()
        // What this connection started cannot report back any more: its server has counted it lost.
        await executor.connectionEnded()
    }

    /// The WebSocket URL of a server's agent endpoint.
    static func connectURL(_ server: URL) -> String {
        var components = URLComponents(url: server, resolvingAgainstBaseURL: false)
        components?.scheme = server.scheme == "https" ? "wss" : "ws"
        components?.path = "/api/v1/agents/connect"
        return components?.string ?? server.absoluteString
    }
}
