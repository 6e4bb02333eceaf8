import Foundation

extension SSHConnection: HomeReachable {
    /// Forwards a Unix socket in the target's `.lander/` directory back over the master connection to the
    /// endpoint's loopback port here (`ssh -O forward -R`), and uploads the client: the target needs no
    /// route to this machine, and the socket's directory is the login's own.
    public func reachHome(_ request: HomeRequest) async throws(TransportError) -> HomeAddress {
        let task = home.withLock { state in
            if let task = state { return task }
            let task = Task { await self.openHome(request) }
            state = task
            return task
        }
        switch await task.value {
        case .success(let address): return address
        case .failure(let error):
            home.withLock { $0 = nil }
            throw error
        }
    }

    private func openHome(_ request: HomeRequest) async -> Result<HomeAddress, TransportError> {
        do throws(TransportError) {
            try await connect()
            let made = try await checked(Command(["sh", "-c", "mkdir -p .lander/bin && chmod 700 .lander && pwd"]))
            let directory = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let tag = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            var socket = "\(directory)/.lander/home-\(tag).sock"
            // Socket paths have a 108-byte limit.
            if socket.utf8.count > 100 { socket = "/tmp/lander-home-\(tag).sock" }
            let forward = try await runHere(
                ["ssh"] + options() + [
                    "-O", "forward", "-R", "\(socket):127.0.0.1:\(request.port)", endpoint.destination,
                ])
            guard forward.succeeded else {
                throw TransportError(
                    target: target,
                    message: "cannot forward the callback socket to \(endpoint.destination): "
                        + forward.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
                        + " (the server must allow it: AllowStreamLocalForwarding yes)")
            }
            forwardedSocket.withLock { $0 = socket }
            try await uploadClient(request.client)
            return .success(HomeAddress(url: "unix:" + socket, bin: "\(directory)/.lander/bin"))
        } catch {
            return .failure(error)
        }
    }

    private func uploadClient(_ text: String) async throws(TransportError) {
        let local = NSTemporaryDirectory() + "lander-call-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: local) }
        guard
            FileManager.default.createFile(
                atPath: local, contents: Data(text.utf8), attributes: [.posixPermissions: 0o755])
        else {
            throw TransportError(target: target, message: "cannot write the call client to \(local)")
        }
        try await upload(local, to: HomeRequest.clientPath)
    }

    /// Removes the forwarded socket's file on the target (the forward itself ends with the master).
    func removeHomeSocket() async {
        guard let socket = forwardedSocket.withLock({ $0 }) else { return }
        _ = try? await run(Command(["rm", "-f", socket]), options: RunOptions(timeout: .seconds(5)))
    }
}
