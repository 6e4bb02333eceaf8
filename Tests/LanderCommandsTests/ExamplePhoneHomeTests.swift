import Foundation
import LanderTesting
import Testing

/// The phone-home example (seed 000's case), run as a user would in each environment: cluster A opens a
/// session, phones home mid-step for job B, uses B's answer, closes the session; B is that environment's.
@Suite struct ExamplePhoneHomeTests {
    static let bTargets = [
        "dev": ["b-dev"], "test": ["b-test-1", "b-test-2"], "production": ["b-prod-1", "b-prod-2"],
    ]
    static let aTargets = ["dev": 2, "test": 2, "production": 3]

    @Test func eachEnvironmentsCallersGetTheirOwnClusterBsAnswer() async throws {
        let directory = try Scratch().url.appendingPathComponent("phone-home")
        try FileManager.default.copyItem(
            at: Repository.root.appendingPathComponent("examples/phone-home"), to: directory)
        // A user's own run of the example leaves its state there (git-ignored): start from none.
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(".lander"))
        let file = directory.appendingPathComponent("lander.yml").path
        let validated = try await Lander.run(["validate", "-f", file])
        #expect(validated.status == 0, "\(validated.stdout)\(validated.stderr)")
        for environment in ["dev", "test", "production"] {
            let run = try await Lander.run(["deploy", "-f", file, "-e", environment, "--version", "1.0", "--plain"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let targets = directory.appendingPathComponent(".lander/targets/\(environment)")
            let bs = Self.bTargets[environment] ?? []
            let rule = bs.map { "rule-\(environment)-\($0)" }.joined(separator: ",")
            for b in bs {
                #expect(Self.read(targets, "\(b)/allowed.txt") == "a 1.0", "job B ran once on \(b)")
            }
            for index in 1...(Self.aTargets[environment] ?? 0) {
                let a = "a-\(index)"
                #expect(Self.read(targets, "\(a)/firewall-rule.txt") == rule, "\(environment) \(a)")
                #expect(Self.read(targets, "\(a)/transfer.txt") == "transferred 1.0 through \(rule)")
                #expect(Self.read(targets, "\(a)/session.state") == "closed", "Z closed X's session on \(a)")
            }
        }
        let history = try await Lander.run(["history", "-f", file, "--json"])
        let records = try StoreCommandsTests.ids(history.stdout)
        #expect(records.filter { $0.kind == "job" }.count == 3 && records.count == 6, "\(records)")
        #expect(records.allSatisfy { $0.status == "succeeded" })
    }

    static func read(_ directory: URL, _ path: String) -> String? {
        (try? String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
