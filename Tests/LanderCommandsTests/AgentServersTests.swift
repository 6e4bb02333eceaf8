import Foundation
import LanderTesting
import Testing

/// Agents and several servers on one PostgreSQL (decision 0019): an agent given one server learns the
/// others from the store and connects to each, so a deployment run by any server reaches it, also once the
/// server it was given is gone; a server killed -9 takes only its own connection's work with it.
extension SharedServersTests {
    @Test func anAgentGivenOneServerServesDeploymentsRunByAnotherAndOutlivesTheFirst() async throws {
        let postgres = try await TestPostgres.start()
        defer { postgres.stop() }
        let zone = try await AgentTests.Zone(postgres: postgres, servers: 3)
        let first = zone.server
        let learned = zone.others
        // The agents were given only the first server's address; they learn the others from the store.
        let reached = try await AgentTests.eventually(60) {
            for server in learned {
                let now = try await AgentTests.connected(server, zone.admin)
                guard now["edge-1"] == true && now["edge-2"] == true else { return false }
            }
            return true
        }
        #expect(reached, "\(zone.agents.values.map(\.text))")
        for agent in zone.agents.values {
            for server in learned {
                #expect(agent.text.contains("the store lists a server at \(server.base)"), "\(agent.text)")
            }
        }

        // The server they were given dies -9; they go on through the servers they learned, which run the
        // phone-home choreography: the session, the package, the call for job B and its answer all travel
        // over the agents' connections to them (any of the two may take the request from the queue).
        kill(first.process.processIdentifier, SIGKILL)
        let asked = learned[0]
        try zone.package("1.0.0")
        let view = try await zone.deploy("billing", "production", "1.0.0", on: asked)
        let logs = try await zone.logs(view, on: asked)
        #expect(view["state"] as? String == "succeeded", "\(logs)")
        for (agent, target) in [("edge-1", "a-1"), ("edge-2", "a-2")] {
            #expect(
                zone.onAgent(agent, target, "transfer.txt") == "transferred app 1.0.0 through rule-production-b-1\n",
                "\(zone.agents[agent]?.text ?? "")")
        }

        // The server that does not run the next deployment dies -9 while the other runs a step on edge-1:
        // the agent loses that connection only, and the step it runs for the survivor finishes.
        try zone.edge(hold: "4")
        let body = #"{"project":"edge","environment":"production","version":"2"}"#
        let started = try await asked.request("POST", "/api/v1/deployments", token: zone.admin, body: body)
        let id = try #require(ServerProcess.object(started.body)["id"] as? String, "\(started.body)")
        #expect(await AgentTests.eventually(60) { zone.onAgent("edge-1", "a-1", "started") != nil })
        let runner = try await runnerOf(id, among: learned, token: zone.admin)
        let other = try #require(learned.first { $0.base != runner.base })
        try await checkShownAsRunBy(runner, id, asked: other, token: zone.admin)
        kill(other.process.processIdentifier, SIGKILL)
        let held = try await zone.finished(id, on: runner)
        let heldLogs = try await zone.logs(held, on: runner)
        #expect(held["state"] as? String == "succeeded", "\(heldLogs)\(zone.agents.values.map(\.text))")
        let edge1 = try #require(zone.agents["edge-1"])
        #expect(edge1.text.contains("connection to \(other.base)"), "\(edge1.text)")
        let still = try await AgentTests.connected(runner, zone.admin)
        #expect(still["edge-1"] == true && still["edge-2"] == true, "\(still)")
    }

    /// The server of `servers` that runs deployment `id`, as the API says.
    private func runnerOf(_ id: String, among servers: [ServerProcess], token: String) async throws -> ServerProcess {
        let answer = ServerProcess.object(try await servers[0].request("GET", "/api/v1/servers", token: token).body)
        let runnerID = try #require((answer["running"] as? [String: String])?[id], "\(answer)")
        let listed = answer["servers"] as? [[String: Any]] ?? []
        let address = try #require(listed.first { $0["id"] as? String == runnerID }?["address"] as? String)
        return try #require(servers.first { $0.base == address }, "\(answer)")
    }

    /// The API and the dashboard of `asked` say that `runner` runs deployment `id`.
    private func checkShownAsRunBy(_ runner: ServerProcess, _ id: String, asked: ServerProcess, token: String)
        async throws
    {
        let answer = ServerProcess.object(try await asked.request("GET", "/api/v1/servers", token: token).body)
        let servers = answer["servers"] as? [[String: Any]] ?? []
        let runnerID = try #require(
            servers.first { $0["address"] as? String == runner.base }?["id"] as? String, "\(answer)")
        #expect((answer["running"] as? [String: String])?[id] == runnerID, "\(answer)")
        let page = try await asked.page("GET", "/servers", cookie: token).body
        let after = page.components(separatedBy: "<tr data-server=\"\(runnerID)\">").dropFirst().first ?? ""
        let row = after.components(separatedBy: "</tr>").first ?? ""
        #expect(row.contains("href=\"/deployments/\(id)\""), "\(page)")
        let grid = try await asked.page("GET", "/", cookie: token).body
        #expect(grid.contains("<a href=\"/servers\">\(runnerID)</a>"), "\(grid)")
    }
}
