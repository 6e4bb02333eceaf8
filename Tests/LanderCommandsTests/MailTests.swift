import Foundation
import LanderTesting
import Testing

extension NotifyTests {
    /// Email subscriptions against a real SMTP server (Debian's aiosmtpd): STARTTLS and AUTH, one mail per
    /// event, a digest, a group condition that fires once per version, and a server that cannot be reached.
    @Suite struct MailTests {
        static let password = "smtp-pass-31b9aa"

        static func smtp(_ port: Int, security: String = "none", auth: Bool = false, ca: String? = nil) -> String {
            var fields = [
                "host: 127.0.0.1", "port: \(port)", "security: \(security)", "from: lander@example.com", "timeout: 5s",
            ]
            if auth { fields += ["username: lander", "password: { secret: SMTP_PASSWORD }"] }
            if let ca { fields.append("ca_file: \(ca)") }
            return "smtp: { \(fields.joined(separator: ", ")) }"
        }

        @Test func aFailureIsMailedOverStartTLSWithAuthAndItsSecretsStayMasked() async throws {
            let scratch = try Scratch().url
            let certificate = try Helpers.certificate(in: scratch)
            let server = try await MailServer(in: scratch, tls: certificate, user: ("lander", Self.password))
            defer { server.stop() }
            let root = try SubscriptionWorkspace.make(
                Self.smtp(server.port, security: "starttls", auth: true, ca: certificate.0) + """

                    subscriptions:
                      - name: oncall
                        events: [deployment_failed]
                        email: { to: [oncall@example.com, lead@example.com] }
                    """)
            let secrets = [
                "SMTP_PASSWORD": Self.password, "BILLING_API_KEY": SubscriptionTests.apiKey, "BILLING_EXIT": "4",
            ]
            let run = try await SubscriptionWorkspace.deploy(root, "billing", "production", "1.0", secrets)
            #expect(run.status == 1)
            let mails = server.mails()
            #expect(mails.count == 1, "\(mails)")
            let mail = try #require(mails.first)
            #expect(mail["tls"] as? Bool == true && mail["auth"] as? String == "lander", "\(mail)")
            #expect(mail["rcpt_tos"] as? [String] == ["oncall@example.com", "lead@example.com"])
            #expect(mail["subject"] as? String == "[lander] billing 1.0 → production: deployment failed", "\(mail)")
            let body = mail["body"] as? String ?? ""
            #expect(body.contains("deployment failed: step 'install'") && body.contains("exited 4"), "\(body)")
            #expect(body.contains("••••••") && !body.contains(SubscriptionTests.apiKey), "\(body)")
            let deliveries = try await SubscriptionWorkspace.lander(root, ["subscriptions", "deliveries", "--json"])
            let everything = "\(mails)" + run.stdout + run.stderr + deliveries.stdout
            #expect(!everything.contains(Self.password) && !everything.contains(SubscriptionTests.apiKey))
            // Without the password the server refuses, and the outbox says so (never with the password).
            let wrong = try await SubscriptionWorkspace.lander(
                root, ["subscriptions", "test", "oncall"], ["SMTP_PASSWORD": "not-it-\(Self.password)"])
            #expect(wrong.status == 1 && wrong.stdout.contains("AUTH PLAIN with 535"), "\(wrong.stdout)\(wrong.stderr)")
            #expect(!wrong.stdout.contains(Self.password), "\(wrong.stdout)")
        }

        @Test func aDigestGathersItsPeriodAndAGroupConditionFiresOncePerVersion() async throws {
            let scratch = try Scratch().url
            let server = try await MailServer(in: scratch)
            defer { server.stop() }
            let root = try SubscriptionWorkspace.make(
                Self.smtp(server.port) + """

                    subscriptions:
                      - name: digest
                        events: [deployment_succeeded]
                        email: { to: [lead@example.com], digest: 8s }
                      - name: all-live
                        when_all: { projects: [billing, checkout], environment: production, version: same }
                        email: { to: [release@example.com] }
                    """)
            let key = ["BILLING_API_KEY": SubscriptionTests.apiKey]
            let started = Date()
            #expect(try await SubscriptionWorkspace.deploy(root, "billing", "production", "2.0", key).status == 0)
            let firstDone = Date()  // the first event was collected (its digest period began) before this
            #expect(server.mails().isEmpty, "one project is not the group, and the digest waits")
            #expect(try await SubscriptionWorkspace.deploy(root, "checkout", "production", "2.0").status == 0)
            #expect(try await SubscriptionWorkspace.deploy(root, "billing", "production", "2.0", key).status == 0)
            let groups = { server.mails().filter { ($0["rcpt_tos"] as? [String]) == ["release@example.com"] } }
            #expect(groups().count == 1, "\(server.mails())")
            #expect(
                groups().first?["subject"] as? String == "[lander] all reached: billing 2.0, checkout 2.0 in production"
            )
            // All three were recorded within the period when the deployments took less than it (a loaded machine
            // may split them into two digests; each event is still in exactly one).
            let withinPeriod = Date().timeIntervalSince(started) < 8
            // Then wait out the period of the digest the last event is in.
            let lastPeriod = withinPeriod ? firstDone : Date()
            try await Task.sleep(for: .seconds(max(0.1, 8.5 - Date().timeIntervalSince(lastPeriod))))
            #expect(try await SubscriptionWorkspace.lander(root, ["subscriptions", "send"]).status == 0)
            let digests = server.mails().filter { ($0["rcpt_tos"] as? [String]) == ["lead@example.com"] }
            let lines = digests.flatMap { ($0["body"] as? String ?? "").split(separator: "\n") }
            #expect(lines.count == 3 && lines.allSatisfy { $0.contains("deployment succeeded") }, "\(lines)")
            if withinPeriod {
                #expect(digests.count == 1, "\(server.mails())")
                #expect((digests.first?["subject"] as? String)?.hasPrefix("[lander] 3 events since") == true)
            }
            #expect(try await SubscriptionWorkspace.deploy(root, "checkout", "production", "2.1").status == 0)
            #expect(groups().count == 1, "checkout 2.1 beside billing 2.0 is no group")
            #expect(try await SubscriptionWorkspace.deploy(root, "billing", "production", "2.1", key).status == 0)
            #expect(
                groups().count == 2
                    && groups().last?["subject"] as? String
                        == "[lander] all reached: billing 2.1, checkout 2.1 in production"
            )
        }

        @Test func anUnreachableMailServerIsInDeliveriesAndNeverFailsADeployment() async throws {
            let root = try SubscriptionWorkspace.make(
                Self.smtp(9) + """

                    subscriptions:
                      - name: mail
                        events: [deployment_succeeded]
                        email: { to: [ops@example.com], retry: { attempts: 1 } }
                    """)
            let run = try await SubscriptionWorkspace.deploy(root, "checkout", "test", "1.0")
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let failed = try await SubscriptionWorkspace.lander(root, ["subscriptions", "deliveries", "--failed"])
            #expect(failed.stdout.contains("mail  deployment_succeeded  dead  1 attempt"), "\(failed.stdout)")
            #expect(failed.stdout.contains("SMTP 127.0.0.1:9"), "\(failed.stdout)")
        }
    }
}
