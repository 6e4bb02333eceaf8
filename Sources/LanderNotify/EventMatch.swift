import Foundation
import LanderModel
import LanderStore

/// Which subscription kind an event row is, and the words people read about it.
enum EventMatch {
    /// The kind a subscription asks for, or nil for events no subscription can name.
    static func kind(of event: OutboxEvent) -> Subscription.EventKind? {
        switch event.kind {
        case "queued": return .deploymentQueued
        case "started": return .deploymentStarted
        case "finished":
            let outcome = event.detail?.split(separator: ":").first.map(String.init) ?? ""
            return ["succeeded": .deploymentSucceeded, "failed": .deploymentFailed, "cancelled": .deploymentCancelled][
                outcome]
        case "step_finished": return event.detail == "failed" ? .stepFailed : nil
        case "target_state": return event.detail?.hasPrefix("left_out") == true ? .targetLeftOut : nil
        case "waiting_for_lock": return .lockWaited
        case "milestone": return .milestone
        default: return nil
        }
    }

    /// The envelope's keys that mails and conditions read, decoded once per event.
    struct Fields: Sendable {
        var version, error, message, lock, holders, milestone: String?

        init(_ event: OutboxEvent) {
            let object = (try? JSONSerialization.jsonObject(with: Data(event.payload.utf8))) as? [String: Any] ?? [:]
            (version, error, message) = (
                object["version"] as? String, object["error"] as? String, object["message"] as? String
            )
            (lock, holders, milestone) = (
                object["lock"] as? String, object["holders"] as? String, object["milestone"] as? String
            )
        }
    }

    /// `billing 1.4.0 → production`.
    static func headline(_ event: OutboxEvent, _ fields: Fields) -> String {
        let version = event.version ?? fields.version
        return [event.project ?? "?", version].compactMap { $0 }.joined(separator: " ") + " → "
            + (event.environment ?? "?")
    }

    /// One line for a mail: what happened, with the error when there is one.
    static func sentence(
        _ event: OutboxEvent, _ fields: Fields, _ kind: Subscription.EventKind, lockWait: Duration? = nil
    ) -> String {
        let error = fields.error.map { ": \($0)" } ?? ""
        let what: String =
            switch kind {
            case .deploymentQueued: "deployment queued, asked by \(event.user ?? "?")"
            case .deploymentStarted: "deployment started (\(event.user ?? "?"))"
            case .deploymentSucceeded: "deployment succeeded"
            case .deploymentFailed: "deployment failed\(error)"
            case .deploymentCancelled: "deployment cancelled\(error)"
            case .stepFailed: "step '\(event.step ?? "?")' failed"
            case .targetLeftOut:
                "target \(event.target ?? "?") left out of the pool in step '\(event.step ?? "?")'"
                    + (fields.message.map { ": \($0)" } ?? "")
            case .lockWaited:
                "waiting for lock '\(fields.lock ?? "?")' (held by \(fields.holders ?? "?"))"
                    + (lockWait.map { " for longer than \(Int($0.seconds))s" } ?? "")
            case .milestone: "milestone '\(fields.milestone ?? "?")' reached"
            }
        return "\(headline(event, fields)): \(what) (deployment \(event.deployment))"
    }
}
