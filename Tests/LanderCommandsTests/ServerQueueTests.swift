import Foundation
import LanderTesting
import Testing

/// Rollbacks and resumptions asked of the server wait in the same bounded queue as deployments.
@Suite struct ServerQueueTests {
    @Test func aRollbackWaitsItsTurnInTheQueueAndNothingToRollBackToIsSaidAtOnce() async throws {
        let directory = try ServerTests.workspace()
        let server = try await ServerProcess.start(directory, arguments: ["--max-running", "1"])
        defer { kill(server.process.processIdentifier, SIGKILL) }
        defer {
            _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("release").path, contents: nil)
        }
        let deployer = try await server.token("deployer")
        for version in ["1.0", "2.0"] {
            let started = try await server.request(
                "POST", "/api/v1/deployments", token: deployer,
                body: #"{"project":"web","environment":"test","version":"\#(version)"}"#)
            let id = try #require(ServerProcess.object(started.body)["id"] as? String)
            _ = try await server.wait(for: id, state: "succeeded", token: deployer)
        }
        let nothing = try await server.request(
            "POST", "/api/v1/rollback", token: deployer, body: #"{"project":"many","environment":"test"}"#)
        #expect(nothing.status == 409 && nothing.body.contains("no earlier successful deployment"), "\(nothing)")
        _ = try await server.request(
            "POST", "/api/v1/deployments", token: deployer,
            body: #"{"project":"slow","environment":"test","version":"1"}"#)
        try await StoreCommandsTests.waitFor(directory.appendingPathComponent("slow-started").path)
        let rollback = try await server.request(
            "POST", "/api/v1/rollback", token: deployer, body: #"{"project":"web","environment":"test"}"#)
        let answer = ServerProcess.object(rollback.body)
        #expect(rollback.status == 202 && answer["position"] as? Int == 1, "it waits behind slow: \(rollback)")
        let id = try #require(answer["id"] as? String)
        let waiting = ServerProcess.object(
            try await server.request("GET", "/api/v1/deployments/\(id)", token: deployer).body)
        #expect(waiting["state"] as? String == "queued", "\(waiting)")
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("release").path, contents: nil)
        let done = try await server.wait(for: id, state: "succeeded", token: deployer)
        #expect((done["deployment"] as? [String: Any])?["kind"] as? String == "rollback", "\(done)")
        let who = (done["deployment"] as? [String: Any])?["user"] as? String
        #expect(who?.hasPrefix("deployer (token t") == true, "the record names the token that asked: \(done)")
        let version = directory.appendingPathComponent("web/.lander/targets/test/w-1/VERSION")
        #expect((try? String(contentsOf: version, encoding: .utf8)) == "1.0\n")
    }

    @Test func aRequestRefusedWhenItsTurnComesSaysWhyAndLeavesTheQueue() async throws {
        let directory = try ServerTests.workspace()
        let server = try await ServerProcess.start(directory, arguments: ["--max-running", "1"])
        defer { kill(server.process.processIdentifier, SIGKILL) }
        defer {
            _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("release").path, contents: nil)
        }
        let deployer = try await server.token("deployer")
        _ = try await server.request(
            "POST", "/api/v1/deployments", token: deployer,
            body: #"{"project":"slow","environment":"test","version":"1"}"#)
        try await StoreCommandsTests.waitFor(directory.appendingPathComponent("slow-started").path)
        let queued = try await server.request("POST", "/api/v1/deployments", token: deployer, body: ServerTests.webTest)
        let id = try #require(ServerProcess.object(queued.body)["id"] as? String)
        // web's lander.yml breaks while it waits; its turn comes once slow ends.
        try "project: web\nsteps: [\n".write(
            to: directory.appendingPathComponent("web/lander.yml"), atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("release").path, contents: nil)
        let refused = try await server.wait(for: id, state: "refused", token: deployer)
        #expect("\(refused)".contains("lander.yml"), "the refusal says what is wrong: \(refused)")
        let servers = ServerProcess.object(try await server.request("GET", "/api/v1/servers", token: deployer).body)
        #expect(servers["queued"] as? Int == 0, "it left the queue: \(servers)")
    }

    @Test func theServerNeverRunsMoreThanMaxRunningAtOnce() async throws {
        let directory = try Fixture("shared-servers").copy(to: Scratch().url.appendingPathComponent("bounded"))
        // Without the fixture's schedule: only what the test queues runs.
        let file = directory.appendingPathComponent("lander-workspace.yml")
        let text = try String(contentsOf: file, encoding: .utf8)
        try String(text[..<(text.range(of: "schedules:")?.lowerBound ?? text.endIndex)]).write(
            to: file, atomically: true, encoding: .utf8)
        let server = try await ServerProcess.start(directory, arguments: ["--max-running", "2"])
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let deployer = try await server.token("deployer")
        var ids: [String] = []
        for index in 0..<10 {
            let body = #"{"project":"p\#(index % 5 + 1)","environment":"test","version":"v\#(index)"}"#
            let answer = try await server.request("POST", "/api/v1/deployments", token: deployer, body: body)
            ids.append(try #require(ServerProcess.object(answer.body)["id"] as? String, "\(answer)"))
        }
        for id in ids { _ = try await server.wait(for: id, state: "succeeded", token: deployer) }
        // Each deployment's `work` step wrote when it started and ended; at most two overlap at any moment.
        var edges: [(at: Double, change: Int)] = []
        for line in try String(contentsOf: directory.appendingPathComponent("intervals.log"), encoding: .utf8)
            .split(separator: "\n")
        {
            let fields = line.split(separator: " ")
            guard fields.count == 4, let time = Double(fields[2]) else { continue }
            edges.append((time, fields[0] == "start" ? 1 : -1))
        }
        #expect(edges.count == 20, "\(edges.count) edges")
        edges.sort { $0.at < $1.at || ($0.at == $1.at && $0.change < $1.change) }
        var open = 0
        var most = 0
        for edge in edges {
            open += edge.change
            most = max(most, open)
        }
        #expect(most <= 2, "\(most) deployments ran at once under --max-running 2")
    }
}
