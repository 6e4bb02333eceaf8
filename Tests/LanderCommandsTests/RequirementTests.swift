import Foundation
import LanderTesting
import Testing

/// `requires:` between members of a workspace, checked at plan and deploy time against what the
/// environment runs.
@Suite struct RequirementTests {
    static func workspace(_ range: String) throws -> String {
        let directory = try Scratch().url.appendingPathComponent("ws")
        try Fixture("requirements").copy(to: directory, ["REQUIRED": range])
        return directory.path
    }

    static func deploy(_ root: String, _ project: String, _ version: String, _ more: [String] = [])
        async throws -> Lander.Run
    {
        try await Lander.run(
            ["deploy", "-f", "\(root)/\(project)/lander.yml", "-e", "test", "--version", version, "--plain"] + more)
    }

    @Test func aMetRequirementDeploysAndAnUnmetOneRefusesNamingTheRangeAndTheVersionFound() async throws {
        let root = try Self.workspace(">= 2.3, < 3")
        let plan = try await Lander.run(["plan", "-f", "\(root)/web/lander.yml", "-e", "test"])
        #expect(plan.status == 0, "no store yet: nothing to check against at plan time \(plan.stderr)")
        let never = try await Self.deploy(root, "web", "1.0")
        #expect(never.status == 3, "\(never.stdout)\(never.stderr)")
        #expect(never.stderr.contains("api >= 2.3, < 3 is required in test, but api was never deployed there"))
        #expect(never.stderr.contains("web/lander.yml:3:"), "\(never.stderr)")
        #expect(try await Self.deploy(root, "api", "2.1.0").status == 0)
        let low = try await Self.deploy(root, "web", "1.0")
        #expect(low.status == 3)
        #expect(low.stderr.contains("but api 2.1.0 runs there (deployment "), "\(low.stderr)")
        #expect(low.stderr.contains("deploy api >= 2.3, < 3 to test first, or pass --ignore-requirements"))
        let planned = try await Lander.run(["plan", "-f", "\(root)/web/lander.yml", "-e", "test"])
        #expect(planned.status == 3 && planned.stderr.contains("api 2.1.0 runs there"), "\(planned.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/web/targets/web-1/VERSION"))
        #expect(try await Self.deploy(root, "api", "2.4.1").status == 0)
        let met = try await Self.deploy(root, "web", "1.1")
        #expect(met.status == 0, "\(met.stdout)\(met.stderr)")
        #expect(try await Self.deploy(root, "api", "3.0").status == 0)
        #expect(try await Self.deploy(root, "web", "1.2").status == 3, "3.0 is outside < 3")
    }

    @Test func ignoringRequirementsDeploysAndIsRecorded() async throws {
        let root = try Self.workspace(">= 2.3")
        let run = try await Self.deploy(root, "web", "1.0", ["--ignore-requirements"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let history = try await Lander.run(["history", "-f", "\(root)/web/lander.yml", "--json"])
        let id = try #require(try StoreCommandsTests.ids(history.stdout).first?.id)
        let shown = try await Lander.run(["show", id, "-f", "\(root)/web/lander.yml"])
        #expect(shown.stdout.contains("requirements ignored: api >= 2.3 is required in test"), "\(shown.stdout)")
    }

    @Test(arguments: [
        ("2.x", "'2.x' in '2.x' is no version"), (">= 2.3,", "an empty comparison"),
    ])
    func aBadRangeIsALoadErrorWithItsLine(_ range: String, _ message: String) async throws {
        let root = try Self.workspace(range)
        let run = try await Self.deploy(root, "web", "1.0")
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("web/lander.yml:3:") && run.stderr.contains(message), "\(run.stderr)")
    }

    @Test func aRequirementCycleIsALoadError() async throws {
        let root = try Self.workspace(">= 1")
        let api = "\(root)/api/lander.yml"
        let text = try String(contentsOfFile: api, encoding: .utf8)
        try text.replacingOccurrences(of: "project: api\n", with: "project: api\nrequires: { web: \">= 1\" }\n")
            .write(toFile: api, atomically: true, encoding: .utf8)
        let run = try await Self.deploy(root, "api", "1.0")
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("requirement cycle: "), "\(run.stderr)")
        #expect(run.stderr.contains("api → web → api") || run.stderr.contains("web → api → web"), "\(run.stderr)")
    }
}
