public import AsyncHTTPClient
public import Foundation
import LanderEngine
public import LanderLua
public import LanderModel
public import LanderStore
import Synchronization

/// The workspace's subscriptions at work: events recorded in the store become deliveries in its outbox,
/// and due deliveries are sent. Any process may run it (the CLI while it deploys and before it exits, the
/// server all the time, `lander subscriptions send` from cron); they share the work through the store.
public final class Outbox: Sendable {
    /// The subscription name of a schedule's report mail: `schedule:NAME`.
    public static let schedulePrefix = "schedule:"

    let workspace: Workspace
    let store: StateStore
    let collector: Collector
    let dispatcher: Dispatcher
    /// A wake-up asked for while no pass was waiting, and the pass waiting for one.
    private let signal = WakeSignal()

    /// An outbox for a workspace's store; secrets come from `environment` when used.
    public init(
        workspace: Workspace, store: StateStore, pluginPath: PluginPath,
        environment: [String: String] = ProcessInfo.processInfo.environment, http: HTTPClient? = nil
    ) {
        self.workspace = workspace
        self.store = store
        let masker = Self.masker(workspace, environment)
        collector = Collector(
            workspace: workspace, store: store, scripts: LuaScriptHost(pluginPath: pluginPath), masker: masker)
        dispatcher = Dispatcher(
            workspace: workspace, store: store, environment: environment, masker: masker,
            owner: "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))",
            http: http ?? WebhookSender.http)
    }

    /// Every secret a subscription or the mail server reads, to mask wherever it could appear.
    static func masker(_ workspace: Workspace, _ environment: [String: String]) -> Masker {
        var secrets: [String] = []
        for subscription in workspace.subscriptions {
            if case .webhook(let webhook) = subscription.destination {
                secrets += [webhook.url.secretValue(environment), webhook.secret?.resolve(environment)].compactMap {
                    $0
                }
            }
        }
        if let password = workspace.smtp?.password?.resolve(environment) { secrets.append(password) }
        return Masker(secrets)
    }

    /// Whether there is anything to do (the workspace has subscriptions or mails reports).
    public var isActive: Bool {
        !workspace.subscriptions.isEmpty
            || workspace.schedules.contains { if case .report = $0.action { true } else { false } }
    }

    /// Starts each new subscription's cursor at the newest event, before this process records any: what it
    /// records is then delivered even if it dies before sending.
    public func prepare() throws(StoreError) {
        guard !workspace.subscriptions.isEmpty else { return }
        _ = try store.cursors(for: workspace.subscriptions.map(\.name))
    }

    /// Collects what is new and sends what is due; returns (deliveries added, attempts made).
    @discardableResult
    public func pass(now: Date = Date()) async throws(StoreError) -> (added: Int, attempted: Int) {
        let added = try await collector.collect()
        // What was just collected is due from its collection: judge after it.
        let attempted = try await dispatcher.deliverDue(now: max(now, Date()))
        return (added, attempted)
    }

    /// Runs passes until cancelled: after `interval`, or sooner when woken (`wake`: events were recorded), a
    /// moment after the wake-up so the journal's write lands first and a burst of events is one pass. The
    /// poll is the path that never fails; a wake-up is a hint.
    public func run(interval: Duration = .seconds(1), warn: @escaping @Sendable (String) -> Void = { _ in }) async {
        var warned = false
        while !Task.isCancelled {
            do {
                try await pass()
                warned = false
            } catch {
                if !warned { warn("subscriptions: \(error) (will try again)") }
                warned = true
            }
            await signal.wait(atMost: interval)
            try? await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Asks a running `run` for a pass now (cheap; call it for every event).
    public func wake() {
        signal.wake()
    }

    /// Passes until nothing is due before `deadline`: what a command does before it exits. What is left (a
    /// receiver that is down) stays in the outbox for the next process or the server.
    public func drain(within bound: Duration) async throws(StoreError) {
        let deadline = Date().addingTimeInterval(bound.seconds)
        while true {
            try await pass()
            guard let next = try store.nextPendingDelivery(), next < deadline else { return }
            let wait = max(0.05, next.timeIntervalSinceNow)
            try? await Task.sleep(for: .milliseconds(Int64(min(wait, deadline.timeIntervalSinceNow) * 1000)))
            if Date() >= deadline { return }
        }
    }

    /// Puts a test event for subscription `name` in the outbox and sends it now; returns the delivery as it
    /// ended.
    public func test(_ name: String) async throws -> DeliveryRecord {
        guard let subscription = workspace.subscription(named: name) else {
            let names = workspace.subscriptions.map(\.name)
            throw OutboxError(
                "no subscription is named '\(name)'"
                    + (names.isEmpty ? "; the workspace has none" : "; there are: \(names.joined(separator: ", "))"))
        }
        let now = Date()
        let id = "test-\(UUID().uuidString.prefix(8).lowercased())"
        let message = EventEnvelope.quoted("a test of subscription \(name) from lander subscriptions test")
        let body =
            "{\"deployment\":\"\(id)\",\"event\":\"test\",\"message\":\(message),\"sequence\":0,"
            + "\"time\":\"\(EventEnvelope.timestamp(now))\"}"
        var delivery = NewDelivery(
            subscription: name, channel: subscription.destination.channel, key: "\(name)/\(id)", eventKind: "test",
            deployment: nil, body: body)
        if case .email(let email) = subscription.destination {
            delivery.subject = "\(email.subjectPrefix) test of subscription \(name)"
            delivery.body = "\(UTCTime.seconds(now))  a test of subscription \(name) (lander subscriptions test)"
        }
        try store.enqueue([delivery])
        if let record = try store.claimDelivery(key: delivery.key, owner: dispatcher.owner, lease: dispatcher.lease) {
            await dispatcher.attempt(record)
        }
        guard let sent = try store.deliveries(subscription: name, limit: 50).first(where: { $0.key == delivery.key })
        else {
            throw OutboxError("the test delivery was not recorded")
        }
        return sent
    }

    /// Puts a schedule's report mail in the outbox (once per due time).
    public func enqueueReport(schedule: String, dueAt: Date, subject: String, body: String) throws(StoreError) {
        try store.enqueue([
            NewDelivery(
                subscription: Self.schedulePrefix + schedule, channel: "email",
                key: "\(Self.schedulePrefix)\(schedule)/\(Int(dueAt.timeIntervalSince1970))", eventKind: "report",
                subject: subject, body: body)
        ])
    }
}

/// A subscription command that cannot be done.
public struct OutboxError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
