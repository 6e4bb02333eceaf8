public import Foundation
import LanderModel

extension EventEnvelope {
    /// Reads back an envelope's JSON (what the server streams): the event as the JSON carries it. Nil for
    /// text that is no envelope, or an event kind this Lander does not know (a newer server's).
    public init?(json text: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let deployment = object["deployment"] as? String, let sequence = object["sequence"] as? Int,
            let kind = object["event"] as? String, let event = Self.event(kind, Fields(object))
        else { return nil }
        let time = (object["time"] as? String).flatMap(Self.date(timestamp:)) ?? Date()
        self.init(deployment: deployment, sequence: sequence, time: time, event: event)
    }

    /// The fields of one envelope, typed.
    struct Fields {
        let object: [String: Any]
        init(_ object: [String: Any]) { self.object = object }
        func text(_ key: String) -> String? { object[key] as? String }
        func string(_ key: String) -> String { object[key] as? String ?? "" }
        func int(_ key: String) -> Int { object[key] as? Int ?? 0 }
        func strings(_ key: String) -> [String] { object[key] as? [String] ?? [] }
        func duration(_ key: String) -> Duration { .milliseconds(Int64(((object[key] as? Double) ?? 0) * 1000)) }
    }

    // One case per kind, mirroring `fill(_:from:)`.
    // swift-format-ignore
    private static func event(_ kind: String, _ f: Fields) -> DeploymentEvent? {
        switch kind {
        case "deployment_queued":
            return .deploymentQueued(project: f.string("project"), environment: f.string("environment"),
                version: f.text("version"), requestedBy: f.string("requested_by"))
        case "deployment_started":
            return .deploymentStarted(id: f.string("id"), project: f.string("project"), environment: f.string("environment"),
                version: f.string("version"), steps: f.int("steps"), targets: f.int("targets"))
        case "step_started": return .stepStarted(step: f.string("step"), tasks: f.strings("tasks"), detached: f.strings("detached"))
        case "step_skipped": return .stepSkipped(step: f.string("step"), reason: f.string("reason"))
        case "target_started": return .targetStarted(step: f.string("step"), task: f.string("task"), target: f.string("target"))
        case "output":
            return .output(step: f.string("step"), task: f.string("task"), target: f.string("target"), line: f.string("line"),
                isError: f.text("stream") == "stderr")
        case "log":
            return .log(level: LogLevel(rawValue: f.string("level")) ?? .info, message: f.string("message"),
                target: f.text("target"), step: f.text("step"), task: f.text("task"))
        case "retrying":
            return .retrying(step: f.string("step"), task: f.string("task"), target: f.string("target"),
                attempt: f.int("attempt"), error: f.string("error"), delay: f.duration("delay_seconds"))
        case "target_finished":
            return .targetFinished(step: f.string("step"), task: f.string("task"), target: f.string("target"),
                outcome: outcome(f.string("outcome"), error: f.string("error")), duration: f.duration("duration_seconds"),
                exitCode: (f.object["exit_code"] as? Int).map(Int32.init), earlier: f.object["done_earlier"] as? Bool ?? false)
        case "step_finished":
            return .stepFinished(step: f.string("step"), succeeded: f.text("outcome") == "succeeded",
                duration: f.duration("duration_seconds"), cancelled: f.text("outcome") == "cancelled")
        case "target_state":
            return .targetState(step: f.string("step"), target: f.string("target"),
                state: RolloutState(rawValue: f.string("state")) ?? .inPool, detail: f.text("message"))
        case "rollout_finished":
            let left = (f.object["not_updated"] as? [[String: Any]] ?? []).map {
                NotUpdatedTarget(step: f.string("step"), target: $0["target"] as? String ?? "",
                    state: $0["state"] as? String ?? "", detail: $0["detail"] as? String)
            }
            return .rolloutFinished(step: f.string("step"), version: f.string("version"), targets: f.int("targets"), notUpdated: left)
        case "session_opened":
            return .sessionOpened(target: f.string("target"), name: f.string("session"), pid: Int32(f.int("pid")))
        case "session_closed": return .sessionClosed(target: f.string("target"), name: f.string("session"))
        case "waiting_for_lock":
            return .waitingForLock(name: f.string("lock"), holders: f.string("holders"), step: f.string("step"), task: f.text("task"))
        case "hook_started":
            return HookPoint(rawValue: f.string("point")).map { .hookStarted(point: $0, hook: f.string("hook")) }
        case "hook_finished":
            return HookPoint(rawValue: f.string("point")).map {
                .hookFinished(point: $0, hook: f.string("hook"), error: f.text("error"), critical: f.object["critical"] as? Bool ?? false)
            }
        case "waiting": return .waiting(step: f.string("step"), task: f.string("task"), for: f.string("message"))
        case "milestone": return .milestone(name: f.string("milestone"), step: f.text("step"))
        case "call":
            return .call(target: f.text("target"), job: f.text("job"), status: f.int("status"), outcome: f.string("outcome"),
                detail: f.text("message"), child: f.text("child"))
        case "deployment_finished":
            return .deploymentFinished(outcome: DeploymentOutcome(rawValue: f.string("outcome")) ?? .failed,
                duration: f.duration("duration_seconds"), error: f.text("error"))
        default: return nil
        }
    }

    private static func outcome(_ word: String, error: String) -> TargetOutcome {
        switch word {
        case "ok": .succeeded
        case "failed": .failed(error)
        case "failed (tolerated)": .tolerated(error)
        case "cancelled": .cancelled
        default: .skipped
        }
    }

    /// The date of a `timestamp` text (`2026-11-22T20:33:03.125Z`), or of one without milliseconds.
    public static func date(timestamp text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // A tenth of a millisecond on, so the floor `timestamp` takes gives back the millisecond written.
        if let date = formatter.date(from: text) { return date.addingTimeInterval(0.0001) }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
