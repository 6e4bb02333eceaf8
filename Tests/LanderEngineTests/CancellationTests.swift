import Foundation
import LanderEngine
import Testing

@Suite struct CancellationTests {
    @Test func cancellingStopsEveryChildRunsOnCancelAndFinallyAndClosesSessions() async throws {
        let project = try TestProject(
            fixture: "cancellation", plugins: ["rec.lua": HookTests.recorder])
        let run = try await project.deploy(whileRunning: { task in
            for target in ["app-1", "app-2", "app-3"] {
                _ = try? await waitForFile(project.path(".lander/targets/test/\(target)/child.pid"))
            }
            task.cancel()
        })
        #expect(run.report.outcome == .cancelled)
        #expect(run.report.records(ofStep: "long").allSatisfy { $0.outcome == .cancelled })
        #expect(run.report.records(ofStep: "never").isEmpty)
        for target in ["app-1", "app-2", "app-3"] {
            let text = try #require(project.read(".lander/targets/test/\(target)/child.pid"))
            let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(await waitUntilGone(pid), "a child of the cancelled command on \(target) survived")
        }
        let holders = run.logs.compactMap { $0.hasPrefix("holder ") ? Int32($0.dropFirst(7)) : nil }
        #expect(holders.count == 3)
        for pid in holders { #expect(await waitUntilGone(pid), "session \(pid) survived") }
        #expect(project.read("hooks.log") == "on_cancel - cancelled\nfinally - cancelled\n")
    }
}
