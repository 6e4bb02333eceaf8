import Foundation
import LanderTesting
import Testing

/// `lander promote`: what test runs goes to production, api (which web requires) in the first wave.
@Suite struct PromoteTests {
    /// The requirements workspace with api 2.4.0 and web 1.0 deployed to test.
    static func promotable() async throws -> String {
        let root = try RequirementTests.workspace(">= 2.3")
        #expect(try await RequirementTests.deploy(root, "api", "2.4.0").status == 0)
        #expect(try await RequirementTests.deploy(root, "web", "1.0").status == 0)
        return root
    }

    static func promote(_ root: String, _ more: [String] = [], environment: [String: String] = [:]) async throws
        -> Lander.Run
    {
        try await Program.run(
            try Lander.executable.path, ["promote", "--from", "test", "--to", "production"] + more,
            environment: environment, directory: root)
    }

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func everyProjectGetsWhatTestRunsInWavesOrderedByRequires() async throws {
        let root = try await Self.promotable()
        let dry = try await Self.promote(root, ["--dry-run"])
        #expect(dry.status == 0, "\(dry.stdout)\(dry.stderr)")
        #expect(dry.stdout.contains("wave 1  api 2.4.0  planned") && dry.stdout.contains("wave 2  web 1.0  planned"))
        #expect(Self.read("\(root)/api/targets/api-p1/VERSION") == nil, "a dry run deployed")
        let run = try await Self.promote(root)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(Self.read("\(root)/api/targets/api-p1/VERSION") == "2.4.0")
        #expect(Self.read("\(root)/web/targets/web-p1/VERSION") == "1.0")
        let apiAt = try #require(Double(Self.read("\(root)/api/targets/api-p1/at") ?? ""))
        let webAt = try #require(Double(Self.read("\(root)/web/targets/web-p1/at") ?? ""))
        #expect(apiAt < webAt, "web went before the api it requires")
        #expect(run.stdout.contains("wave 2  web 1.0  succeeded"), "\(run.stdout)")
    }

    @Test func aFailureStopsOnlyTheProjectsThatRequireIt() async throws {
        let root = try await Self.promotable()
        let run = try await Self.promote(root, ["--json"], environment: ["API_EXIT": "5"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        let entries = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]] ?? []
        let outcomes = Dictionary(uniqueKeysWithValues: entries.map { ($0["project"] as? String ?? "", $0) })
        #expect(outcomes["api"]?["outcome"] as? String == "failed")
        #expect((outcomes["api"]?["detail"] as? String)?.contains("exited 5") == true, "\(run.stdout)")
        #expect(outcomes["web"]?["outcome"] as? String == "skipped")
        #expect((outcomes["web"]?["detail"] as? String)?.contains("requires api") == true, "\(run.stdout)")
        #expect(Self.read("\(root)/web/targets/web-p1/VERSION") == nil)
    }

    @Test func anUnknownProjectGetsADidYouMean() async throws {
        let root = try await Self.promotable()
        let run = try await Self.promote(root, ["-p", "wbe"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("no project 'wbe'") && run.stderr.contains("did you mean 'web'?"), "\(run.stderr)")
    }
}
