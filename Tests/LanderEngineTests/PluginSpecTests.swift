import Foundation
import LanderEngine
import Testing

/// Spec tests of the plugins shipped in `Plugins/`, run through real deployments.
@Suite struct PluginSpecTests {
    @Test func releaseDirKeepsTheNewestReleasesAndHandsOverItsDirectory() async throws {
        let project = try TestProject(fixture: "release-dir", ["KEEP": "2"])
        for version in ["1.0.0", "1.1.0", "1.2.0", "2.0.0"] {
            let run = try await project.deploy(version: version)
            #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
            try await Task.sleep(for: .milliseconds(20))  // distinct modification times
        }
        let releases = try FileManager.default.contentsOfDirectory(
            atPath: project.path(".lander/targets/test/app-1/releases"))
        #expect(releases.sorted() == ["1.2.0", "2.0.0"])
        #expect(project.read(".lander/targets/test/app-1/releases/2.0.0/VERSION") == "2.0.0\n")
        let lines = project.read("deploys.log")?.split(separator: "\n") ?? []
        #expect(lines.count == 4)
        #expect(lines.last?.hasSuffix("releases 2.0.0 to test: succeeded") == true)
    }

    @Test func releaseDirRefusesAKeepBelowOne() async throws {
        let project = try TestProject(fixture: "release-dir", ["KEEP": "0"])
        let run = try await project.deploy()
        #expect(
            run.report.error?.contains("release-dir/init.lua:9: keep must be at least 1, got 0") == true,
            "\(run.report.error ?? "")")
        #expect(project.read("deploys.log")?.contains("releases 1.0.0 to test: failed (step 'stage'") == true)
    }
}
