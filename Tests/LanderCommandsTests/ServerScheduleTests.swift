import Foundation
import LanderTesting
import Testing

extension NotifyTests {
    /// `lander server` runs the workspace's schedules on its own (a run due while it was down, within grace,
    /// happens at start) and sends the outbox: a deployment queued through the API reaches a webhook,
    /// `deployment_queued` first.
    @Suite struct ServerScheduleTests {
        @Test func theServerRunsADueScheduleAtStartAndDeliversQueuedDeploymentsEvents() async throws {
            let scratch = try Scratch().url
            let listener = try await WebhookListener(in: scratch, secret: SubscriptionTests.secret)
            defer { listener.stop() }
            let root = try SubscriptionWorkspace.make(
                """
                subscriptions:
                  - name: hook
                    events: [deployment_queued, deployment_succeeded]
                    webhook: { url: "\(listener.url())", secret: { secret: HOOK_SECRET }, retry: { backoff: 100ms } }
                schedules:
                  - name: every-minute
                    cron: "* * * * *"
                    grace: 10m
                    deploy: { project: checkout, environment: test, version: "5.0" }
                """)
            let server = try await ServerProcess.start(root, environment: ["HOOK_SECRET": SubscriptionTests.secret])
            defer { kill(server.process.processIdentifier, SIGKILL) }
            let version = root.appendingPathComponent("checkout/targets/checkout-1/VERSION").path
            #expect(await Helpers.eventually { (try? String(contentsOfFile: version, encoding: .utf8)) == "5.0\n" })
            let deployer = try await server.token("deployer")
            let queued = try await server.request(
                "POST", "/api/v1/deployments", token: deployer,
                body: #"{"project":"checkout","environment":"production","version":"5.1"}"#)
            let id = try #require(ServerProcess.object(queued.body)["id"] as? String)
            _ = try await server.wait(for: id, state: "succeeded", token: deployer)
            #expect(await Helpers.eventually { listener.delivered().count >= 3 }, "\(listener.requests())")
            let events = listener.delivered().map { "\($0["event"] ?? "") \($0["deployment"] ?? "")" }
            #expect(
                events.contains("deployment_queued \(id)") && events.contains("deployment_finished \(id)"), "\(events)")
            let queuedEvent = listener.delivered().first { $0["event"] as? String == "deployment_queued" }
            #expect(
                (queuedEvent?["requested_by"] as? String)?.hasPrefix("deployer (token ") == true,
                "\(String(describing: queuedEvent))")
            #expect(queuedEvent?["project"] as? String == "checkout" && queuedEvent?["version"] as? String == "5.1")
            #expect(listener.requests().allSatisfy { $0["signature_ok"] as? Bool == true })
            let list = try await SubscriptionWorkspace.lander(root, ["schedule", "list"])
            #expect(list.stdout.contains("succeeded: checkout 5.0 → test: succeeded"), "\(list.stdout)")
        }

        /// A scheduled run that hangs holds back no other schedule, nor its own next due time (Octopus's
        /// "one stuck scheduled task stops every trigger"): each claimed run goes on by itself.
        @Test func aScheduledRunThatHangsHoldsBackNoTrigger() async throws {
            let root = try SubscriptionWorkspace.make(
                """
                schedules:
                  - name: stuck
                    cron: "* * * * *"
                    grace: 10m
                    deploy: { project: batch, environment: test, version: "1" }
                  - name: every-minute
                    cron: "* * * * *"
                    grace: 10m
                    deploy: { project: checkout, environment: test, version: "5.0" }
                """)
            // batch's step holds until its target has a file `release`.
            let server = try await ServerProcess.start(root, environment: ["BATCH_HOLD": "1"])
            defer { kill(server.process.processIdentifier, SIGKILL) }
            let target = root.appendingPathComponent("batch/targets/batch-1")
            #expect(await Helpers.eventually { FileManager.default.fileExists(atPath: target.path + "/started") })
            // The other schedule runs at start and again at the next minute while `stuck` still holds.
            #expect(try await Self.succeeded(root, "checkout", reaching: 2, within: 100))
            #expect(try await Self.succeededCount(root, "batch") == 0, "the stuck run still holds")
            // Released, the stuck run ends, and its own next due time, claimed meanwhile, runs after it.
            try "".write(to: target.appendingPathComponent("release"), atomically: true, encoding: .utf8)
            #expect(try await Self.succeeded(root, "batch", reaching: 2, within: 60))
        }

        /// Whether `project`'s successful deployments to test reach `count` within `seconds`.
        static func succeeded(_ root: URL, _ project: String, reaching count: Int, within seconds: Int) async throws
            -> Bool
        {
            for _ in 0..<(seconds * 2) {
                if try await succeededCount(root, project) >= count { return true }
                try await Task.sleep(for: .milliseconds(500))
            }
            return false
        }

        /// How many of `project`'s deployments to test succeeded (`lander history`).
        static func succeededCount(_ root: URL, _ project: String) async throws -> Int {
            let history = try await SubscriptionWorkspace.lander(
                root, ["history", "--project", project, "-e", "test", "--json"])
            let records = (try? JSONSerialization.jsonObject(with: Data(history.stdout.utf8))) as? [[String: Any]] ?? []
            return records.filter { $0["status"] as? String == "succeeded" }.count
        }
    }
}
