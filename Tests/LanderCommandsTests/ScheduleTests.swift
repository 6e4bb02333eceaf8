import Foundation
import LanderTesting
import Testing

extension NotifyTests {
    /// Schedules judged at a time the test gives (`lander schedule run-due --now`): due runs happen once, a run
    /// missed within its grace happens late, one beyond it is recorded as missed; two processes racing for one
    /// run give one run; a report is mailed; the server runs what is due on its own.
    @Suite struct ScheduleTests {
        static let refresh = """
            schedules:
              - name: refresh-prod
                cron: "0 9 * * *"
                time_zone: Europe/Berlin
                grace: 30m
                deploy: { project: checkout, environment: production, from: test }
            """

        static func read(_ root: URL, _ path: String) -> String? {
            (try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test func aRunDueWithinGraceHappensOnceAndOneBeyondGraceIsRecordedAsMissed() async throws {
            let root = try SubscriptionWorkspace.make(Self.refresh)
            #expect(try await SubscriptionWorkspace.deploy(root, "checkout", "test", "1.4").status == 0)
            // 09:10 in Berlin (CET, UTC+1): ten minutes after 09:00, within the 30 minutes of grace.
            let late = try await SubscriptionWorkspace.lander(
                root, ["schedule", "run-due", "--now", "2026-12-01T08:10:00Z"])
            #expect(late.status == 0, "\(late.stdout)\(late.stderr)")
            #expect(late.stdout.contains("refresh-prod: due 2026-12-01 08:00:00 UTC"), "\(late.stdout)")
            #expect(Self.read(root, "checkout/targets/checkout-p1/VERSION") == "1.4")
            let again = try await SubscriptionWorkspace.lander(
                root, ["schedule", "run-due", "--now", "2026-12-01T08:20:00Z"])
            #expect(again.stdout.contains("nothing is due"), "each due time runs once: \(again.stdout)")
            #expect(try await SubscriptionWorkspace.deploy(root, "checkout", "test", "1.5").status == 0)
            // The next day nothing ran until 10:00 Berlin: an hour late is beyond the grace.
            let missed = try await SubscriptionWorkspace.lander(
                root, ["schedule", "run-due", "--now", "2026-12-02T09:00:00Z"])
            #expect(missed.stdout.contains("nothing is due"), "\(missed.stdout)")
            #expect(Self.read(root, "checkout/targets/checkout-p1/VERSION") == "1.4", "a run beyond its grace ran")
            let list = try await SubscriptionWorkspace.lander(root, ["schedule", "list"])
            #expect(
                list.stdout.contains(
                    "refresh-prod  \"0 9 * * *\" Europe/Berlin  deploy checkout as in test → production"))
            #expect(
                list.stdout.contains("last: 2026-12-02 08:00:00 UTC missed: nothing ran it until 3600s after"),
                "\(list.stdout)")
            let history = try await SubscriptionWorkspace.lander(
                root, ["history", "-f", "checkout/lander.yml", "-e", "production", "--json"])
            let records = try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]] ?? []
            #expect(records.count == 1 && records.first?["user"] as? String == "schedule refresh-prod", "\(records)")
        }

        @Test func twoProcessesRacingForOneDueRunGiveOneRun() async throws {
            let root = try SubscriptionWorkspace.make(
                """
                schedules:
                  - name: promote-all
                    cron: "30 6 * * 1-5"
                    promote: { from: test, to: production, projects: all }
                """)
            let key = ["BILLING_API_KEY": SubscriptionTests.apiKey]
            #expect(try await SubscriptionWorkspace.deploy(root, "billing", "test", "7.0", key).status == 0)
            #expect(try await SubscriptionWorkspace.deploy(root, "checkout", "test", "7.1").status == 0)
            let arguments = ["schedule", "run-due", "--now", "2026-12-01T06:31:00Z"]
            async let first = SubscriptionWorkspace.lander(root, arguments, key)
            async let second = SubscriptionWorkspace.lander(root, arguments, key)
            let runs = try await [first, second]
            #expect(runs.allSatisfy { $0.status == 0 }, "\(runs.map { $0.stdout + $0.stderr })")
            #expect(
                runs.filter { $0.stdout.contains("promote-all: succeeded: promoted") }.count == 1,
                "\(runs.map(\.stdout))")
            #expect(runs.filter { $0.stdout.contains("nothing is due") }.count == 1)
            for project in ["billing", "checkout"] {
                let history = try await SubscriptionWorkspace.lander(
                    root, ["history", "--project", project, "-e", "production", "--json"])
                let records =
                    try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]] ?? []
                #expect(records.count == 1, "\(project) was promoted \(records.count) times: \(history.stdout)")
            }
        }

        @Test func aReportScheduleMailsTheDaysDeployments() async throws {
            let scratch = try Scratch().url
            let server = try await MailServer(in: scratch)
            defer { server.stop() }
            let root = try SubscriptionWorkspace.make(
                MailTests.smtp(server.port) + """

                    schedules:
                      - name: daily-report
                        cron: "* * * * *"
                        report: { to: [lead@example.com], since: 24h, format: html }
                    """)
            let key = ["BILLING_API_KEY": SubscriptionTests.apiKey]
            #expect(try await SubscriptionWorkspace.deploy(root, "checkout", "production", "3.0").status == 0)
            #expect(
                try await SubscriptionWorkspace.deploy(
                    root, "billing", "production", "3.0", key.merging(["BILLING_EXIT": "2"]) { $1 }
                ).status == 1)
            let now = ISO8601DateFormatter().string(from: Date().addingTimeInterval(90))
            let run = try await SubscriptionWorkspace.lander(root, ["schedule", "run-due", "--now", now])
            #expect(run.status == 0 && run.stdout.contains("report of 2 deployments"), "\(run.stdout)\(run.stderr)")
            let mails = server.mails()
            #expect(mails.count == 1, "\(mails)")
            let mail = try #require(mails.first)
            #expect(mail["content_type"] as? String == "text/html")
            #expect((mail["subject"] as? String)?.hasPrefix("[lander] Deployments ") == true, "\(mail)")
            let body = mail["body"] as? String ?? ""
            #expect(body.contains("<h2>production</h2>") && body.contains("<td>checkout</td>"), "\(body)")
            #expect(body.contains("<tr class=\"failed\">") && body.contains("error: step 'install'"), "\(body)")
            #expect(!body.contains(SubscriptionTests.apiKey))
        }

        @Test func aBadCronOrAnUnknownProjectIsALoadErrorWithItsLine() async throws {
            let root = try SubscriptionWorkspace.make(
                """
                schedules:
                  - name: broken
                    cron: "61 * * * *"
                    deploy: { project: chekout, environment: production, version: "1.0" }
                  - name: zoned
                    cron: "@daily"
                    time_zone: Mars/Olympus
                    promote: { from: test, to: prod }
                """)
            let run = try await SubscriptionWorkspace.lander(root, ["schedule", "list"])
            #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
            let file = root.appendingPathComponent("lander-workspace.yml").path
            #expect(
                run.stderr.contains("\(file):6:11: bad cron expression: the minute field has '61'"), "\(run.stderr)")
            #expect(run.stderr.contains("\(file):7:24: 'chekout' in deploy's project is no project of the workspace"))
            #expect(run.stderr.contains("did you mean 'checkout'?"))
            #expect(run.stderr.contains("\(file):10:16: unknown time zone 'Mars/Olympus'"), "\(run.stderr)")
            #expect(run.stderr.contains("\(file):11:32: environment 'prod' in promote's to is defined by no project"))
        }
    }
}
