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

    /// The envelope's fields.
    static func fields(_ event: OutboxEvent) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(event.payload.utf8))) as? [String: Any] ?? [:]
    }

    /// `billing 1.4.0 → production`.
    static func headline(_ event: OutboxEvent) -> String {
        let fields = fields(event)
        let version = event.version ?? fields["version"] as? String
        return [event.project ?? "?", version].compactMap { $0 }.joined(separator: " ") + " → "
            + (event.environment ?? "?")
    }

    /// One line for a mail: what happened, with the error when there is one.
    static func sentence(_ event: OutboxEvent, _ kind: Subscription.EventKind, lockWait: Duration? = nil) -> String {
        let fields = fields(event)
        let error = (fields["error"] as? String).map { ": \($0)" } ?? ""
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
                    + ((fields["message"] as? String).map { ": \($0)" } ?? "")
            case .lockWaited:
                "waiting for lock '\(fields["lock"] as? String ?? "?")' (held by \(fields["holders"] as? String ?? "?"))"
                    + (lockWait.map { " for longer than \(Int($0.seconds))s" } ?? "")
            case .milestone: "milestone '\(fields["milestone"] as? String ?? "?")' reached"
            }
        return "\(headline(event)): \(what) (deployment \(event.deployment))"
    }
}

/// Times as mails show them: `2026-12-01 09:00:03 UTC`.
enum EventEnvelopeTime {
    static func text(_ date: Date) -> String { UTCTime.text(date, "yyyy-MM-dd HH:mm:ss 'UTC'") }
}
