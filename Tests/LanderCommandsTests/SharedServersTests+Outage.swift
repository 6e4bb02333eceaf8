import Foundation
import LanderTesting
import Testing

/// While the PostgreSQL store cannot be reached, a server's calls to it wait (and retry) for up to a minute.
/// They wait on threads of their own (`StateStore.executor`): the rest of the server goes on, so a step's
/// timeout still stops it on time. (On the cooperative pool, two requests waiting on the store held both
/// threads of a two-core machine, and the step ran on until the database came back.)
extension SharedServersTests {
    @Test func aStepsTimeoutStopsItWhileTheDatabaseIsDown() async throws {
        let postgres = try await TestPostgres.start()
        defer { postgres.stop() }
        let (cluster, token) = try await Cluster.started(servers: 1, postgres: postgres, fixture: "outage")
        let server = cluster.servers[0]
        let answer = try await server.request(
            "POST", "/api/v1/deployments", token: token, body: #"{"project":"slow","environment":"test","version":"1"}"#)
        let id = try #require(ServerProcess.object(answer.body)["id"] as? String, "\(answer)")
        let pidFile = cluster.directory.appendingPathComponent("slow/hang.pid").path
        var written: String?
        for _ in 0..<600 where written?.hasSuffix("\n") != true {
            written = try? String(contentsOfFile: pidFile, encoding: .utf8)
            try await Task.sleep(for: .milliseconds(100))
        }
        let pid = try #require(Int32(written?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""), "the step never started")
        await postgres.halt()
        // Clients keep asking (a dashboard, `lander deploy --server` following): each request's store call
        // waits for the database. The step's 4 s timeout must still stop it while the store is down.
        let asking = (0..<3).map { _ in
            Task { try? await server.request("GET", "/api/v1/deployments/\(id)", token: token) }
        }
        var stopped = false
        for _ in 0..<150 where !stopped {
            stopped = !runs(pid)
            try await Task.sleep(for: .milliseconds(100))
        }
        try await postgres.startAgain()
        for request in asking { _ = await request.value }
        #expect(stopped, "the step outlived its timeout while the database was down")
        let view = try await server.wait(for: id, state: "failed", token: token)
        #expect("\(view)".contains("timed out"), "\(view)")
        #expect(server.process.isRunning)
    }
}
