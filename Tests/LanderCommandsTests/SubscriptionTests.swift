import Foundation
import LanderTesting
import Testing

extension NotifyTests {
    /// Webhook subscriptions against a real HTTP receiver: signed, retried until it recovers, delivered at
    /// least once with one idempotency key per event, kept when the sender dies, never failing a deployment.
    @Suite struct SubscriptionTests {
        static let secret = "whsec-9f2c1d7e5b"
        static let apiKey = "billing-api-key-77c1e0"

        static func hook(_ listener: WebhookListener, events: String, more: String = "", retry: String = "")
            -> String
        {
            """
            subscriptions:
              - name: hook
                events: [\(events)]
                \(more)
                webhook:
                  url: "\(listener.url())"
                  secret: { secret: HOOK_SECRET }
                  timeout: 5s
                  retry: \(retry.isEmpty ? "{ attempts: 8, backoff: 100ms, max_backoff: 400ms }" : retry)
            """
        }

        @Test func aReceiverThatFailsFirstGetsEveryEventOnceItRecoversSignedWithOneKeyEach() async throws {
            let scratch = try Scratch().url
            let listener = try await WebhookListener(in: scratch, secret: Self.secret, fail: 3)
            defer { listener.stop() }
            let root = try SubscriptionWorkspace.make(
                Self.hook(listener, events: "deployment_started, deployment_succeeded, deployment_failed"))
            let run = try await SubscriptionWorkspace.deploy(
                root, "billing", "test", "1.0", ["HOOK_SECRET": Self.secret])
            #expect(run.status == 0, "a receiver that fails must not fail the deployment: \(run.stdout)\(run.stderr)")
            let requests = listener.requests()
            #expect(requests.count >= 5, "3 answered 500, then both events: \(requests.count)")
            #expect(requests.allSatisfy { $0["signature_ok"] as? Bool == true }, "every POST is signed with the secret")
            let delivered = listener.delivered()
            #expect(
                delivered.compactMap { $0["event"] as? String }.sorted() == [
                    "deployment_finished", "deployment_started",
                ])
            // A duplicate carries the key and body of the first: a receiver can drop what it has seen.
            var bodies: [String: Set<String>] = [:]
            for request in requests {
                let key = (request["headers"] as? [String: String])?["idempotency-key"] ?? ""
                bodies[key, default: []].insert(request["body"] as? String ?? "")
            }
            #expect(bodies.count == 2 && bodies.values.allSatisfy { $0.count == 1 }, "\(bodies.keys)")
            let list = try await SubscriptionWorkspace.lander(root, ["subscriptions", "deliveries"])
            #expect(list.stdout.components(separatedBy: "delivered").count - 1 == 2, "\(list.stdout)")
            let all = requests.map { "\($0)" }.joined() + run.stdout + run.stderr + list.stdout
            #expect(!all.contains(Self.secret), "the webhook secret leaked")
        }

        @Test func aSenderKilledMidSendLeavesItForTheNextProcessWhichDeliversIt() async throws {
            let scratch = try Scratch().url
            let listener = try await WebhookListener(in: scratch, secret: Self.secret, hold: true)
            defer { listener.stop() }
            let root = try SubscriptionWorkspace.make(Self.hook(listener, events: "deployment_succeeded"))
            let process = Process()
            process.executableURL = try Lander.executable
            process.arguments = ["deploy", "-f", "billing/lander.yml", "-e", "test", "--version", "3.1", "--plain"]
            process.currentDirectoryURL = root
            process.environment = ProcessInfo.processInfo.environment.merging(["HOOK_SECRET": Self.secret]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The deployment is recorded and its event is being sent: the receiver holds the request.
            #expect(await Helpers.eventually { !listener.requests().isEmpty }, "the event was never sent")
            kill(process.processIdentifier, SIGKILL)
            _ = await waitForExit(process)
            listener.release()
            #expect(listener.delivered().isEmpty, "nothing was answered to the killed sender")
            let pending = try await SubscriptionWorkspace.lander(root, ["subscriptions", "deliveries"])
            #expect(pending.stdout.contains("deployment_succeeded  pending"), "\(pending.stdout)")
            // The dead sender's claim lapses (its timeout and a margin); then the next process sends it.
            let send = try await SubscriptionWorkspace.lander(
                root, ["subscriptions", "send", "--wait", "40"], ["HOOK_SECRET": Self.secret])
            #expect(send.status == 0, "\(send.stderr)")
            let delivered = listener.delivered()
            #expect(
                delivered.count == 1 && delivered.first?["event"] as? String == "deployment_finished", "\(delivered)")
            let keys = Set(listener.requests().compactMap { ($0["headers"] as? [String: String])?["idempotency-key"] })
            #expect(keys.count == 1, "the second attempt repeats the first one's key: \(keys)")
        }

        @Test func anUnreachableReceiverIsDeadLetteredNotAFailureAndReplayDeliversIt() async throws {
            let scratch = try Scratch().url
            let listener = try await WebhookListener(in: scratch, secret: Self.secret)
            defer { listener.stop() }
            let closed = "http://127.0.0.1:9/lander"
            let settings = Self.hook(listener, events: "deployment_succeeded", retry: "{ attempts: 2, backoff: 100ms }")
            let root = try SubscriptionWorkspace.make(settings.replacingOccurrences(of: listener.url(), with: closed))
            let run = try await SubscriptionWorkspace.deploy(
                root, "checkout", "test", "1.0", ["HOOK_SECRET": Self.secret])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let failed = try await SubscriptionWorkspace.lander(root, ["subscriptions", "deliveries", "--failed"])
            #expect(failed.stdout.contains("hook  deployment_succeeded  dead  2 attempts"), "\(failed.stdout)")
            #expect(failed.stdout.contains("POST failed"), "\(failed.stdout)")
            let id = try #require(failed.stdout.split(separator: " ").first.map(String.init))
            // The receiver is fixed (the URL now reaches it): replay sends the same body with the same key.
            try SubscriptionWorkspace.rewrite(root, settings)
            let replay = try await SubscriptionWorkspace.lander(
                root, ["subscriptions", "replay", id], ["HOOK_SECRET": Self.secret])
            #expect(replay.status == 0 && replay.stdout.contains("delivered"), "\(replay.stdout)\(replay.stderr)")
            #expect(listener.delivered().first?["event"] as? String == "deployment_finished")
            let empty = try await SubscriptionWorkspace.lander(root, ["subscriptions", "deliveries", "--failed"])
            #expect(empty.stdout.contains("no failed deliveries"), "\(empty.stdout)")
        }

        @Test func aFormatterReshapesTheBodyAndSecretsStayMasked() async throws {
            let scratch = try Scratch().url
            let listener = try await WebhookListener(in: scratch, secret: Self.secret)
            defer { listener.stop() }
            let settings = """
                subscriptions:
                  - name: chat
                    events: [deployment_failed]
                    projects: [billing]
                    environments: [production]
                    webhook: { url: "\(listener.url("chat"))", secret: { secret: HOOK_SECRET }, format: chat.message }
                """
            let root = try SubscriptionWorkspace.make(settings)
            let secrets = ["HOOK_SECRET": Self.secret, "BILLING_API_KEY": Self.apiKey]
            #expect(try await SubscriptionWorkspace.deploy(root, "checkout", "production", "1.0", secrets).status == 0)
            let run = try await SubscriptionWorkspace.deploy(
                root, "billing", "production", "1.0", secrets.merging(["BILLING_EXIT": "4"]) { $1 })
            #expect(run.status == 1)
            let delivered = listener.delivered()
            #expect(delivered.count == 1, "only billing's failure in production passes the filter: \(delivered)")
            let body = try #require(delivered.first)
            #expect(body["text"] as? String == "billing 1.0 → production: deployment_failed", "\(body)")
            #expect((body["error"] as? String)?.contains("exited 4") == true, "\(body)")
            let raw = listener.requests().map { $0["body"] as? String ?? "" }.joined()
            #expect(raw.contains("••••••") && !raw.contains(Self.apiKey), "a secret variable reached a body: \(raw)")
            let list = try await SubscriptionWorkspace.lander(root, ["subscriptions", "list"])
            #expect(
                list.stdout.contains("chat  webhook \(listener.url("chat")) (format chat.message)"), "\(list.stdout)")
            let test = try await SubscriptionWorkspace.lander(root, ["subscriptions", "test", "chat"], secrets)
            #expect(test.status == 0 && test.stdout.contains("chat  test  delivered"), "\(test.stdout)\(test.stderr)")
            let unknown = try await SubscriptionWorkspace.lander(root, ["subscriptions", "test", "chta"])
            #expect(unknown.status == 64 && unknown.stderr.contains("there are: chat"), "\(unknown.stderr)")
        }
    }

    /// `lock_waited`: sent once a deployment has waited for a lock longer than the subscription's `lock_wait`,
    /// and not at all when the wait ends sooner.
    @Suite struct LockWaitSubscriptionTests {
        @Test func aLongWaitForALockIsSentAndAShortOneIsNot() async throws {
            let scratch = try Scratch().url
            let listener = try await WebhookListener(in: scratch, secret: SubscriptionTests.secret)
            defer { listener.stop() }
            let root = try SubscriptionWorkspace.make(
                """
                subscriptions:
                  - name: locks
                    events: [lock_waited]
                    lock_wait: 3s
                    webhook: { url: "\(listener.url())", secret: { secret: HOOK_SECRET } }
                """)
            let environment = ["HOOK_SECRET": SubscriptionTests.secret]
            let target = root.appendingPathComponent("batch/targets/batch-1")
            for long in [true, false] {
                try? FileManager.default.removeItem(at: target.appendingPathComponent("started"))
                try? FileManager.default.removeItem(at: target.appendingPathComponent("release"))
                // test holds the lock `nightly` until released; production waits for it.
                async let holder = SubscriptionWorkspace.lander(
                    root, ["deploy", "-f", "batch/lander.yml", "-e", "test", "--version", "1", "--plain"],
                    environment.merging(["BATCH_HOLD": "1"]) { $1 })
                #expect(
                    await Helpers.eventually {
                        FileManager.default.fileExists(atPath: target.appendingPathComponent("started").path)
                    })
                async let waiter = SubscriptionWorkspace.deploy(root, "batch", "production", "1", environment)
                if long {
                    #expect(
                        await Helpers.eventually(60) { listener.delivered().count == 1 }, "a wait past 3s was not sent")
                } else {
                    try await Task.sleep(for: .milliseconds(300))
                }
                _ = FileManager.default.createFile(atPath: target.appendingPathComponent("release").path, contents: nil)
                #expect(try await holder.status == 0)
                let waited = try await waiter
                #expect(waited.status == 0, "\(waited.stdout)\(waited.stderr)")
                let sent = listener.delivered()
                #expect(sent.count == 1, "\(long ? "long" : "short") wait: \(sent)")
                #expect(
                    sent.allSatisfy {
                        $0["event"] as? String == "waiting_for_lock" && $0["lock"] as? String == "nightly"
                    })
            }
            let deliveries = try await SubscriptionWorkspace.lander(root, ["subscriptions", "deliveries"])
            #expect(deliveries.stdout.contains("lock_waited  delivered"), "\(deliveries.stdout)")
        }
    }
}
