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
}
