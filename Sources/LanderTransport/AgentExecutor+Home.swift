import Foundation

extension AgentExecutor {
    /// Puts the call client under the request's root and listens on a Unix socket for the commands'
    /// calls; each connection taken is announced (`dial`) and carried to the server as a stream.
    func listen(_ message: AgentMessage, id: String, _ outbox: AgentOutbox) {
        let local = transport(message)
        Task {
            do {
                let placed = try await local.reachHome(HomeRequest(port: 0, client: message.text ?? ""))
                let path = socketPath(id)
                let fd = try ForwardSockets.listen(at: path)
                state.withLock { $0.homes[id] = (fd, path) }
                accept(on: fd, listener: id, outbox)
                var done = AgentMessage(.done, id: id)
                done.path = path
                done.text = placed.bin
                outbox.send(done)
            } catch {
                outbox.send(Self.failure(id, Self.describe(error)))
            }
        }
    }

    /// Where a listener's socket goes: the work directory, or /tmp when that path would be too long.
    private func socketPath(_ id: String) -> String {
        let name = "home-\(id.prefix(8)).sock"
        let beside = workDir + "/" + name
        return beside.utf8.count < 100 ? beside : "/tmp/lander-agent-\(getuid())-\(name)"
    }

    private func accept(on fd: Int32, listener: String, _ outbox: AgentOutbox) {
        let streams = self.streams
        let thread = Thread {
            while true {
                let client = Glibc.accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                let stream = AgentWire.newID()
                var dial = AgentMessage(.dial, id: stream)
                dial.listener = listener
                // Announced before its first bytes, once the server's bytes for it are taken.
                streams.attach(client, id: stream, outbox: outbox) { outbox.send(dial) }
            }
        }
        thread.name = "lander-home"
        thread.start()
    }

    /// Stops listening for calls (the connection has ended).
    func closeHomes() {
        let homes = state.withLock { state in
            defer { state.homes = [:] }
            return Array(state.homes.values)
        }
        for (fd, path) in homes {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
            unlink(path)
        }
        streams.closeAll()
    }
}
