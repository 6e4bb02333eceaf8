import Foundation
import LanderEngine
import LanderLua
import LanderModel
import LanderStore

/// Turns recorded events into outbox deliveries: each subscription reads the event table from its own
/// cursor, and the deliveries and the cursor's move are written in one transaction. A process that dies
/// between recording an event and sending it loses nothing: the next one reads from the same cursor, and a
/// delivery another process made already is refused by its idempotency key.
struct Collector: Sendable {
    let workspace: Workspace
    let store: StateStore
    let scripts: LuaScriptHost
    let masker: Masker

    /// Reads what is new for every subscription; returns how many deliveries were added.
    func collect() async throws(StoreError) -> Int {
        let subscriptions = workspace.subscriptions
        guard !subscriptions.isEmpty else { return 0 }
        var cursors = try store.cursors(for: subscriptions.map(\.name))
        var added = 0
        while let from = cursors.values.min() {
            let events = try store.events(after: from, limit: 500)
            guard let last = events.last?.id else { break }
            var deliveries: [NewDelivery] = []
            for event in events {
                let fields = EventMatch.Fields(event)
                for subscription in subscriptions where event.id > cursors[subscription.name] ?? .max {
                    deliveries += await self.deliveries(of: event, fields, for: subscription)
                }
            }
            let moved = Dictionary(uniqueKeysWithValues: subscriptions.map { ($0.name, last) })
            added += try store.enqueue(deliveries, advancing: moved)
            cursors = cursors.mapValues { max($0, last) }
            if events.count < 500 { break }
        }
        return added
    }

    /// What one event gives one subscription: nothing, a delivery, or a group condition's firing.
    func deliveries(of event: OutboxEvent, _ fields: EventMatch.Fields, for subscription: Subscription) async
        -> [NewDelivery]
    {
        if let group = subscription.group {
            return (try? fired(group, by: event, for: subscription)).map { [$0] } ?? []
        }
        guard let kind = EventMatch.kind(of: event), subscription.events.contains(kind),
            subscription.admits(project: event.project, environment: event.environment)
        else { return [] }
        let key = "\(subscription.name)/\(event.deployment)/\(event.kind == "queued" ? "queued" : "\(event.sequence)")"
        var delivery = NewDelivery(
            subscription: subscription.name, channel: subscription.destination.channel, key: key,
            eventKind: kind.rawValue, deployment: event.deployment, project: event.project,
            environment: event.environment, body: masker.mask(event.payload))
        if kind == .lockWaited {
            delivery.notBefore = event.at.addingTimeInterval(subscription.lockWait.seconds)
            delivery.condition = fields.lock.map { "lock:\($0)" }
        }
        switch subscription.destination {
        case .webhook(let webhook):
            if let format = webhook.format {
                do {
                    delivery.body = masker.mask(
                        try await scripts.format(format, eventJSON: event.payload, facts: facts(event, fields, kind)))
                } catch {
                    delivery.state = "dead"
                    delivery.error = masker.mask("\(error)")
                }
            }
        case .email(let email):
            let sentence = EventMatch.sentence(
                event, fields, kind, lockWait: kind == .lockWaited ? subscription.lockWait : nil)
            delivery.subject =
                "\(email.subjectPrefix) \(EventMatch.headline(event, fields)): \(kind.rawValue.replacingOccurrences(of: "_", with: " "))"
            delivery.body = masker.mask("\(UTCTime.seconds(event.at))  \(sentence)")
            if email.digest != nil { delivery.state = "held" }
        }
        return [delivery]
    }

    /// What a formatter learns beside the envelope.
    private func facts(_ event: OutboxEvent, _ fields: EventMatch.Fields, _ kind: Subscription.EventKind)
        -> [String: String]
    {
        var facts = [
            "kind": kind.rawValue, "deployment": event.deployment,
            "summary": EventMatch.sentence(event, fields, kind),
        ]
        facts["project"] = event.project
        facts["environment"] = event.environment
        facts["version"] = event.version
        facts["requested_by"] = event.user
        return facts
    }

    /// A group condition's delivery when this event (a success in its environment) completes it.
    private func fired(_ group: GroupCondition, by event: OutboxEvent, for subscription: Subscription) throws
        -> NewDelivery?
    {
        guard EventMatch.kind(of: event) == .deploymentSucceeded, event.environment == group.environment,
            let project = event.project, group.projects.contains(project)
        else { return nil }
        var current: [String: DeploymentRecord] = [:]
        for name in group.projects {
            guard let record = try store.current(project: name, environment: group.environment) else { return nil }
            current[name] = record
        }
        let versions = Set(current.values.map(\.version))
        let key: String
        switch group.version {
        case .exactly(let version):
            guard versions == [version] else { return nil }
            key = "\(group.environment)@\(version)"
        case .same:
            guard versions.count == 1, let version = versions.first else { return nil }
            key = "\(group.environment)@\(version)"
        case .wave:
            let parents = Set(current.values.map { $0.parent ?? "" })
            guard parents.count == 1, let parent = parents.first, !parent.isEmpty else { return nil }
            key = "\(group.environment) wave \(parent)"
        }
        let projects = group.projects.map {
            "\(EventEnvelope.quoted($0)):\(EventEnvelope.quoted(current[$0]?.version ?? ""))"
        }
        let body =
            "{\"environment\":\(EventEnvelope.quoted(group.environment)),\"event\":\"group_reached\",\"key\":"
            + "\(EventEnvelope.quoted(key)),\"projects\":{\(projects.joined(separator: ","))},\"subscription\":"
            + "\(EventEnvelope.quoted(subscription.name)),\"time\":\(EventEnvelope.quoted(EventEnvelope.timestamp(event.at)))}"
        let summary =
            group.projects.map { "\($0) \(current[$0]?.version ?? "?")" }.joined(separator: ", ")
            + " in \(group.environment)"
        var delivery = NewDelivery(
            subscription: subscription.name, channel: subscription.destination.channel,
            key: "\(subscription.name)/group/\(key)", eventKind: "group_reached", deployment: event.deployment,
            project: nil, environment: group.environment, body: body, groupKey: key)
        if case .email(let email) = subscription.destination {
            delivery.subject = "\(email.subjectPrefix) all reached: \(summary)"
            delivery.body =
                "\(UTCTime.seconds(event.at))  all of \(group.projects.joined(separator: ", ")) "
                + "reached their release in \(group.environment): \(summary) (last: deployment \(event.deployment))"
            if email.digest != nil { delivery.state = "held" }
        }
        return delivery
    }
}
