import Foundation
import LanderTesting
import Testing

/// The dashboard in real headless Chromium (Tests/Browser/dashboard.py drives it through chromium-driver):
/// signed in with a viewer token, the grid's cells change live as deployments started through the API run,
/// a deployment page shows a target's log line, a running deployment's page follows it to the end.
@Suite struct DashboardBrowserTests {
    /// Where the screenshots are kept (`LANDER_TEST_ARTIFACTS`, or `.build/test-artifacts` in the checkout).
    static var artifacts: URL {
        if let path = ProcessInfo.processInfo.environment["LANDER_TEST_ARTIFACTS"] {
            return URL(fileURLWithPath: path).appendingPathComponent("dashboard")
        }
        return checkout.appendingPathComponent(".build/test-artifacts/dashboard")
    }

    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theGridChangesLiveAndTheDeploymentPageShowsATargetsLog() async throws {
        let directory = try ServerTests.workspace()
        let server = try await ServerProcess.start(directory)
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let viewer = try await server.token("viewer")
        let deployer = try await server.token("deployer")
        try? FileManager.default.removeItem(at: Self.artifacts)
        // The tokens travel in the environment, never on a command line.
        let run = try await Program.run(
            "/usr/bin/env",
            [
                "python3", Self.checkout.appendingPathComponent("Tests/Browser/dashboard.py").path,
                "http://127.0.0.1:\(server.port)", directory.path, Self.artifacts.path,
            ], environment: ["LANDER_VIEWER_TOKEN": viewer, "LANDER_DEPLOYER_TOKEN": deployer], timeout: .seconds(240))
        let seen = ServerProcess.object(run.stdout.split(separator: "\n").last.map(String.init) ?? "")
        #expect(run.status == 0 && seen["failed"] == nil, "\(run.stdout)\n\(run.stderr)")
        #expect(seen["unsigned_lands_on"] as? String == "/login")
        #expect((seen["slow_before"] as? String)?.contains("never deployed") == true, "\(seen)")
        #expect((seen["slow_running"] as? String)?.contains("step hold") == true, "\(seen)")
        #expect((seen["web_after"] as? String)?.hasPrefix("2.0 succeeded") == true, "\(seen)")
        #expect(seen["grid_reloaded"] as? Bool == false, "the grid changed in place")
        #expect((seen["cell_links_to"] as? String)?.hasPrefix("/deployments/") == true)
        #expect(seen["page_title"] as? String == "web → test succeeded")
        #expect(seen["log_line"] as? String == "w-1 | built 2.0 on w-1")
        #expect(seen["build_on_w1"] as? String == "succeeded")
        #expect(seen["held_state"] as? String == "running" && seen["held_hold"] as? String == "running", "\(seen)")
        #expect(seen["held_done"] as? String == "succeeded", "the page added the step it had not seen: \(seen)")
        #expect(seen["held_reloaded"] as? Bool == false)
        for shot in ["grid.png", "deployment.png", "followed.png"] {
            let size =
                try FileManager.default.attributesOfItem(
                    atPath: Self.artifacts.appendingPathComponent(shot).path)[.size] as? Int
            #expect((size ?? 0) > 10_000, "screenshot \(shot) saved in \(Self.artifacts.path)")
        }
    }
}
