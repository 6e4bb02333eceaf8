import Foundation
import LanderLoading
import LanderModel
import Testing

/// `subscriptions:` and `smtp:` in the workspace file: what loads, and every mistake at its line.
@Suite struct WorkspaceSubscriptionLoadingTests {
    static func workspace(_ settings: String) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lander-ws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("api"), withIntermediateDirectories: true)
        try """
        project: api
        environments:
          production:
            targets:
              api-1: { root: t, roles: [app] }
        steps:
          - { name: s, on: app, run: [true] }
        """.write(to: root.appendingPathComponent("api/lander.yml"), atomically: true, encoding: .utf8)
        let file = root.appendingPathComponent("lander-workspace.yml").path
        try ("members: [api]\n" + settings).write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func subscriptionsLoadWithTheirFiltersAndDestinations() throws {
        let file = try Self.workspace(
            """
            smtp: { host: mail.example.com, username: lander, password: { secret: SMTP_PASSWORD }, from: lander@example.com }
            subscriptions:
              - name: chat
                events: [deployment_failed, lock_waited]
                lock_wait: 90s
                environments: [production]
                webhook: { url: { secret: CHAT_URL }, format: chat.message, retry: { attempts: 3, backoff: 1s } }
              - name: wave
                when_all: { projects: [api], environment: production, version: "2.0" }
                email: { to: [release@example.com], digest: 1h }
            """)
        let workspace = try WorkspaceLoader.load(file: file)
        #expect(workspace.smtp?.port == 587 && workspace.smtp?.security == .starttls)
        #expect(workspace.smtp?.password == .secret("SMTP_PASSWORD"))
        let chat = try #require(workspace.subscription(named: "chat"))
        #expect(chat.events == [.deploymentFailed, .lockWaited] && chat.lockWait == .seconds(90))
        guard case .webhook(let webhook) = chat.destination else { throw CancellationError() }
        #expect(webhook.url == .secret("CHAT_URL") && webhook.format?.description == "chat.message")
        #expect(webhook.retry == RetryPolicy(attempts: 3, backoff: .seconds(1)))
        let wave = try #require(workspace.subscription(named: "wave"))
        #expect(wave.group?.version == .exactly("2.0") && wave.group?.projects == ["api"])
    }

    @Test func everyMistakeIsReportedAtItsLine() throws {
        let file = try Self.workspace(
            """
            subscriptions:
              - name: one
                events: [deployment_faild]
                webhook: { url: "ftp://example.com", secret: literally-in-the-file }
              - name: two
                events: [deployment_failed]
                projects: [ap1]
                email: { to: [ops@example.com] }
              - name: three
                events: [deployment_failed]
            """)
        #expect(throws: LoadingError.self) { try WorkspaceLoader.load(file: file) }
        let text: String
        do {
            _ = try WorkspaceLoader.load(file: file)
            text = ""
        } catch {
            text = error.diagnostics.map(\.description).joined(separator: "\n")
        }
        #expect(text.contains("\(file):4:14: unknown event kind 'deployment_faild'"), "\(text)")
        #expect(text.contains("did you mean 'deployment_failed'?"))
        #expect(text.contains("\(file):5:14: the webhook's url 'ftp://example.com' is not an http or https URL"))
        #expect(text.contains("the webhook's secret is written in the workspace file"))
        #expect(text.contains("\(file):8:16: 'ap1' in projects of a subscription is no project of the workspace"))
        #expect(text.contains("\(file):6:5: subscription 'two' sends email, but the workspace has no smtp: server"))
        #expect(text.contains("\(file):10:5: subscription 'three' needs one destination: webhook: or email:"))
    }

    @Test func aPostgreSQLStoreIsKeptAsAURLAndOneCarryingAPasswordIsRefusedAtItsLine() throws {
        let shared = try WorkspaceLoader.load(
            file: try Self.workspace("store: postgres://lander@db.internal:5432/lander\n"))
        #expect(shared.statePath == "postgres://lander@db.internal:5432/lander")
        let file = try Self.workspace("state: postgres://lander:hunter2@db.internal/lander\n")
        let error = #expect(throws: LoadingError.self) { try WorkspaceLoader.load(file: file) }
        let text = error?.description ?? ""
        #expect(text.contains("lander-workspace.yml:2:8: the store URL carries a password"), "\(text)")
        #expect(text.contains("PGPASSWORD") && !text.contains("hunter2"), "\(text)")
    }
}
