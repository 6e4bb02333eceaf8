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
