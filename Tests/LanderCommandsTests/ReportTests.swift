import Foundation
import LanderTesting
import Testing

extension NotifyTests {
    /// `lander report`: the window's deployments per environment in four formats, with failures' headline
    /// errors, who asked, and what a rollback undid.
    @Suite struct ReportTests {
        @Test func theReportListsEveryDeploymentWithOutcomeWhoErrorsAndWhatWasRolledBack() async throws {
            let root = try SubscriptionWorkspace.make("")
            #expect(try await SubscriptionWorkspace.deploy(root, "checkout", "test", "1.0").status == 0)
            #expect(try await SubscriptionWorkspace.deploy(root, "checkout", "test", "1.1").status == 0)
            #expect(
                try await SubscriptionWorkspace.deploy(root, "billing", "test", "1.0", ["BILLING_EXIT": "9"]).status
                    == 1)
            let rollback = try await SubscriptionWorkspace.lander(
                root, ["rollback", "-f", "checkout/lander.yml", "-e", "test", "--plain"])
            #expect(rollback.status == 0, "\(rollback.stdout)\(rollback.stderr)")
            let json = try await SubscriptionWorkspace.lander(root, ["report", "--format", "json"])
            #expect(json.status == 0, "\(json.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let sections = try #require(object["environments"] as? [[String: Any]])
            #expect(sections.count == 1 && sections.first?["environment"] as? String == "test")
            let entries = try #require(sections.first?["deployments"] as? [[String: Any]])
            #expect(
                entries.map { "\($0["project"] ?? "") \($0["version"] ?? "") \($0["outcome"] ?? "")" } == [
                    "checkout 1.0 succeeded", "checkout 1.1 succeeded", "billing 1.0 failed", "checkout 1.0 succeeded",
                ])
            #expect((entries[2]["error"] as? String)?.hasSuffix("exited 9") == true, "\(entries[2])")
            let rolledBack = try #require(entries[3]["id"] as? String)
            #expect(entries[3]["kind"] as? String == "rollback")
            #expect(entries[1]["undone_by"] as? [String] == [rolledBack], "1.1 was undone by the rollback")
            let text = try await SubscriptionWorkspace.lander(root, ["report"])
            #expect(text.stdout.contains("test: 4 (3 succeeded, 1 failed)"), "\(text.stdout)")
            #expect(text.stdout.contains("undone by \(rolledBack)") && text.stdout.contains("error: step 'install'"))
            let markdown = try await SubscriptionWorkspace.lander(
                root, ["report", "--since", "2h", "--format", "markdown"])
            #expect(markdown.stdout.contains("## test") && markdown.stdout.contains("| started | project | version |"))
            #expect(markdown.stdout.components(separatedBy: "\n| 20").count - 1 == 4, "\(markdown.stdout)")
            let html = try await SubscriptionWorkspace.lander(root, ["report", "--format", "html"])
            #expect(html.stdout.hasPrefix("<!DOCTYPE html>") && html.stdout.contains("<tr class=\"failed\">"))
            let elsewhere = try await SubscriptionWorkspace.lander(root, ["report", "--environment", "production"])
            #expect(elsewhere.stdout.contains("0 deployments, 0 failed") && elsewhere.stdout.contains("no deployments"))
            let old = try await SubscriptionWorkspace.lander(root, ["report", "--day", "2020-02-29"])
            #expect(
                old.stdout.hasPrefix("Deployments 2020-02-29 00:00 – 2020-03-01 00:00 UTC: 0 deployments"),
                "\(old.stdout)")
            let bad = try await SubscriptionWorkspace.lander(root, ["report", "--since", "yesterday"])
            #expect(bad.status == 64 && bad.stderr.contains("--since yesterday is not a span of time"), "\(bad.stderr)")
            let both = try await SubscriptionWorkspace.lander(root, ["report", "--day", "2026-12-01", "--since", "1h"])
            #expect(both.status == 64)
        }
    }
}
