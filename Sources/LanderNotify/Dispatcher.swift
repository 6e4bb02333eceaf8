import AsyncHTTPClient
import Foundation
import LanderEngine
import LanderModel
import LanderStore

/// Sends what is due in the outbox: claims deliveries for a lease (so a process that dies mid-send lets
/// them go to the next), sends each, and records the result only while it still holds the claim. Failures
/// are retried with exponential backoff and jitter, then dead-lettered; nothing here fails a deployment.
struct Dispatcher: Sendable {
    let workspace: Workspace
    let store: StateStore
    let environment: [String: String]
    let masker: Masker
    let owner: String
    let http: HTTPClient

    /// Gathers digests that are due, then sends every delivery due now; returns how many were attempted.
    func deliverDue(now: Date = Date()) async throws(StoreError) -> Int {
        try gatherDigests(now: now)
        var attempted = 0
        while true {
            let claimed = try store.claimDueDeliveries(owner: owner, lease: lease, limit: 16, now: now)
            if claimed.isEmpty { break }
            attempted += claimed.count
            await withTaskGroup(of: Void.self) { group in
                for delivery in claimed { group.addTask { await self.attempt(delivery) } }
            }
            if claimed.count < 16 { break }
        }
        return attempted
    }

    /// How long a claim lasts: the longest an attempt may take, and a margin to record its end. A holder
    /// that dies lets its deliveries go after this.
    var lease: Duration {
        let webhooks = workspace.subscriptions.compactMap { subscription -> Double? in
            if case .webhook(let webhook) = subscription.destination { return webhook.timeout.seconds }
            return nil
        }
        let longest = (webhooks + [workspace.smtp?.timeout.seconds].compactMap { $0 }).max() ?? 30
        return .milliseconds(Int64((longest + 10) * 1000))
    }

    /// One attempt at one claimed delivery, and its record.
    func attempt(_ delivery: DeliveryRecord) async {
        let result: DeliveryResult
        do {
            if let reason = try voided(delivery) {
                result = .void(reason)
            } else {
                try await send(delivery)
                result = .delivered
            }
        } catch let failure as SendFailure {
            let error = masker.mask(failure.description)
            let policy = self.policy(of: delivery)
            if failure.permanent || delivery.attempts + 1 >= policy.attempts {
                result = .dead(error)
            } else {
                let wait = policy.delay(after: delivery.attempts + 1).seconds * Double.random(in: 0.5...1.0)
                result = .retry(at: Date().addingTimeInterval(wait), error: error)
            }
        } catch {
            result = .retry(at: Date().addingTimeInterval(5), error: masker.mask("\(error)"))
        }
        _ = try? store.finish(delivery: delivery.id, owner: owner, result)
    }

    /// Why a delivery is not to be sent after all: a lock wait that ended within its limit.
    private func voided(_ delivery: DeliveryRecord) throws(StoreError) -> String? {
        guard let condition = delivery.condition, condition.hasPrefix("lock:"), let deployment = delivery.deployment
        else { return nil }
        let lock = String(condition.dropFirst("lock:".count))
        return try store.stillWaiting(deployment: deployment, lock: lock)
            ? nil : "the wait for lock '\(lock)' ended within the limit"
    }

    private func policy(of delivery: DeliveryRecord) -> RetryPolicy {
        switch workspace.subscription(named: delivery.subscription)?.destination {
        case .webhook(let webhook): webhook.retry
        case .email(let email): email.retry
        case nil: RetryPolicy()
        }
    }

    private func send(_ delivery: DeliveryRecord) async throws(SendFailure) {
        if delivery.subscription.hasPrefix(Outbox.schedulePrefix) {
            let name = String(delivery.subscription.dropFirst(Outbox.schedulePrefix.count))
            guard let schedule = workspace.schedules.first(where: { $0.name == name }),
                case .report(let to, _, _, let format) = schedule.action
            else {
                throw SendFailure(description: "schedule '\(name)' no longer mails a report", permanent: true)
            }
            try await mail(delivery, to: to, html: format == .html)
            return
        }
        guard let subscription = workspace.subscription(named: delivery.subscription) else {
            throw SendFailure(
                description: "subscription '\(delivery.subscription)' is no longer in the workspace file",
                permanent: true)
        }
        switch subscription.destination {
        case .webhook(let webhook):
            try await WebhookSender(client: http).send(delivery, to: webhook, environment: environment)
        case .email(let email):
            try await mail(delivery, to: email.to, html: false)
        }
    }

    private func mail(_ delivery: DeliveryRecord, to recipients: [String], html: Bool) async throws(SendFailure) {
        guard let settings = workspace.smtp else {
            throw SendFailure(description: "the workspace has no smtp: server")
        }
        let message = MailMessage(
            from: settings.from, to: recipients, subject: delivery.subject ?? "[lander] \(delivery.eventKind)",
            body: delivery.body, contentType: html ? "text/html" : "text/plain", key: delivery.key)
        try await SMTPClient(settings: settings, password: settings.password?.resolve(environment)).send(message)
    }

    /// A digest subscription's held items become one mail once the oldest is `digest` old.
    private func gatherDigests(now: Date) throws(StoreError) {
        for subscription in workspace.subscriptions {
            guard case .email(let email) = subscription.destination, let period = email.digest else { continue }
            let held = try store.heldDeliveries(subscription: subscription.name)
            guard let first = held.first, first.createdAt.addingTimeInterval(period.seconds) <= now else { continue }
            let count = held.count
            let digest = NewDelivery(
                subscription: subscription.name, channel: "email", key: "\(subscription.name)/digest/\(first.id)",
                eventKind: "digest",
                subject: "\(email.subjectPrefix) \(count) event\(count == 1 ? "" : "s") since "
                    + UTCTime.seconds(first.createdAt),
                body: held.map(\.body).joined(separator: "\n") + "\n", notBefore: now)
            try store.digest(held.map(\.id), into: digest)
        }
    }
}
