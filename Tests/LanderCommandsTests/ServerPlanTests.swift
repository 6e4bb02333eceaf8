import Foundation
import LanderTesting
import Testing

/// `lander plan` through the server: the same output and exit codes as locally, for every format.
@Suite struct ServerPlanTests {
    @Test func aPlanThroughTheServerIsThePlanPrintedLocally() async throws {
        let directory = try ServerTests.workspace()
        let server = try await ServerProcess.start(directory)
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let viewer = try await server.token("viewer")
        let file = directory.appendingPathComponent("web/lander.yml").path
        let remote = ["LANDER_SERVER": "http://127.0.0.1:\(server.port)", "LANDER_TOKEN": viewer]
        for format in ["text", "json", "mermaid", "dot"] {
            let arguments = ["plan", "-f", file, "-e", "test", "--version", "2.0", "--format", format]
            let local = try await Lander.run(arguments)
            let through = try await Lander.run(arguments, environment: remote)
            #expect(local.status == 0 && through.status == 0, "\(format): \(through.stderr)")
            #expect(through.stdout == local.stdout, "\(format) through the server:\n\(through.stdout)")
        }
        let unknown = ["plan", "-f", file, "-e", "qa", "--version", "2.0"]
        let localUnknown = try await Lander.run(unknown)
        let remoteUnknown = try await Lander.run(unknown, environment: remote)
        #expect(localUnknown.status == 2 && remoteUnknown.status == 2, "\(remoteUnknown.stderr)")
        #expect(remoteUnknown.stderr.contains("no environment 'qa'"), "\(remoteUnknown.stderr)")
        let history = try await Lander.run(["history", "-f", file])
        #expect(history.stdout.contains("no deployments"), "a plan records nothing: \(history.stdout)")
    }

    @Test func aBrokenLanderYmlIsReportedWithItsLineThroughTheServer() async throws {
        let directory = try ServerTests.workspace()
        let server = try await ServerProcess.start(directory)
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let viewer = try await server.token("viewer")
        let file = directory.appendingPathComponent("web/lander.yml")
        let text = try String(contentsOf: file, encoding: .utf8)
        try text.replacingOccurrences(of: "on: app, run:", with: "on: app, runs:").write(
            to: file, atomically: true, encoding: .utf8)
        let remote = ["LANDER_SERVER": "http://127.0.0.1:\(server.port)", "LANDER_TOKEN": viewer]
        let through = try await Lander.run(["plan", "-p", "web", "-e", "test"], environment: remote)
        #expect(through.status == 2, "an invalid lander.yml, as locally: \(through.stderr)")
        #expect(through.stderr.contains("lander.yml:") && through.stderr.contains("runs"), "\(through.stderr)")
    }
}

/// The API's records beside deployments: releases, milestones, phone-home calls.
@Suite struct ServerRecordsTests {
    @Test func releasesMilestonesAndCallsAreReadThroughTheAPI() async throws {
        let directory = try ServerTests.workspace()
        let server = try await ServerProcess.start(directory)
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let deployer = try await server.token("deployer")
        let made = try await Lander.run([
            "release", "create", "-f", directory.appendingPathComponent("web/lander.yml").path, "5.0",
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let releases = try await server.request("GET", "/api/v1/projects/web/releases", token: deployer)
        #expect(releases.status == 200 && releases.body.contains(#""version":"5.0""#), "\(releases)")
        let unknown = try await server.request("GET", "/api/v1/projects/nope/releases", token: deployer)
        #expect(unknown.status == 404)
        let started = try await server.request(
            "POST", "/api/v1/deployments", token: deployer, body: ServerTests.webTest)
        let id = try #require(ServerProcess.object(started.body)["id"] as? String)
        _ = try await server.wait(for: id, state: "succeeded", token: deployer)
        let milestones = try await server.request("GET", "/api/v1/deployments/\(id)/milestones", token: deployer)
        let names = (try JSONSerialization.jsonObject(with: Data(milestones.body.utf8)) as? [[String: Any]])?
            .compactMap { $0["name"] as? String }
        #expect(names == ["step:build", "step:serve"], "\(milestones.body)")
        let calls = try await server.request("GET", "/api/v1/deployments/\(id)/calls", token: deployer)
        #expect(calls.status == 200 && calls.body == "[]", "web's targets called nothing: \(calls.body)")
        let other = try await server.token("viewer", project: "slow")
        #expect(try await server.request("GET", "/api/v1/deployments/\(id)/milestones", token: other).status == 403)
    }
}
