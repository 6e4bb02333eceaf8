public import Foundation

/// An event with its envelope: which deployment, its place in that deployment's sequence, and when.
///
/// Its JSON (one object, snake_case keys) is the one encoding of events: the journal stores it, `--json`
/// prints it, and the server's event stream and webhooks will send it (docs/events.md has the schema).
public struct EventEnvelope: Sendable, Encodable {
    /// The deployment's id.
    public var deployment: String
    /// Its place among the deployment's events, from 1 (0: before the deployment started, e.g. waiting for
    /// the project lock).
    public var sequence: Int
    /// When it happened.
    public var time: Date
    /// What happened.
    public var event: DeploymentEvent

    /// Wraps an event.
    public init(deployment: String, sequence: Int, time: Date = Date(), event: DeploymentEvent) {
        self.deployment = deployment
        self.sequence = sequence
        self.time = time
        self.event = event
    }

    /// The event's JSON text, keys sorted.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// UTC with milliseconds: `2026-11-22T20:33:03.125Z`.
    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public func encode(to encoder: any Encoder) throws {
        var record = Record(time: time.formatted(Self.timeStyle), event: "")
        record.deployment = deployment
        record.sequence = sequence
        Self.fill(&record, from: event)
        try record.encode(to: encoder)
    }

    private struct Record: Encodable {
        var time: String
        var event: String
        var deployment: String?, sequence: Int?
        var id: String?, project: String?, environment: String?, version: String?
        var step: String?, task: String?, target: String?
        var tasks: [String]?, detached: [String]?
        var line: String?, stream: String?, level: String?, message: String?
        var outcome: String?, error: String?, reason: String?
        var attempt: Int?, delaySeconds: Double?, durationSeconds: Double?, exitCode: Int32?
        var steps: Int?, targets: Int?
        var point: String?, hook: String?, critical: Bool?
        var lock: String?, holders: String?, session: String?, pid: Int32?, state: String?
        var notUpdated: [NotUpdated]?
        var doneEarlier: Bool?
    }

    /// A target a rollout did not leave on the new version.
    private struct NotUpdated: Encodable {
        var target: String, state: String, detail: String?
    }

    // One case per kind of event: a flat list is the clearest way to keep the schema in one place.
    // swift-format-ignore
    private static func fill(_ record: inout Record, from event: DeploymentEvent) {
        switch event {
        case .deploymentStarted(let id, let project, let environment, let version, let steps, let targets):
            record.event = "deployment_started"
            (record.id, record.project, record.environment, record.version) = (id, project, environment, version)
            (record.steps, record.targets) = (steps, targets)
        case .stepStarted(let step, let tasks, let detached):
            (record.event, record.step, record.tasks) = ("step_started", step, tasks)
            record.detached = detached.isEmpty ? nil : detached
        case .stepSkipped(let step, let reason):
            (record.event, record.step, record.reason) = ("step_skipped", step, reason)
        case .targetStarted(let step, let task, let target):
            (record.event, record.step, record.task, record.target) = ("target_started", step, task, target)
        case .output(let step, let task, let target, let line, let isError):
            (record.event, record.step, record.task, record.target) = ("output", step, task, target)
            (record.line, record.stream) = (line, isError ? "stderr" : "stdout")
        case .log(let level, let message, let target, let step, let task):
            (record.event, record.level, record.message, record.target) = ("log", level.rawValue, message, target)
            (record.step, record.task) = (step, task)
        case .retrying(let step, let task, let target, let attempt, let error, let delay):
            (record.event, record.step, record.task, record.target) = ("retrying", step, task, target)
            (record.attempt, record.error, record.delaySeconds) = (attempt, error, seconds(delay))
        case .targetFinished(let step, let task, let target, let outcome, let duration, let exitCode, let earlier):
            (record.event, record.step, record.task, record.target) = ("target_finished", step, task, target)
            record.exitCode = exitCode
            record.doneEarlier = earlier ? true : nil
            record.outcome = outcome.word
            record.durationSeconds = seconds(duration)
            if case .failed(let message) = outcome { record.error = message }
            if case .tolerated(let message) = outcome { record.error = message }
        case .stepFinished(let step, let succeeded, let duration, let cancelled):
            (record.event, record.step) = ("step_finished", step)
            record.outcome = cancelled ? "cancelled" : succeeded ? "succeeded" : "failed"
            record.durationSeconds = seconds(duration)
        case .targetState(let step, let target, let state, let detail):
            (record.event, record.step, record.target) = ("target_state", step, target)
            (record.state, record.message) = (state.rawValue, detail)
        case .sessionOpened(let target, let name, let pid, _, _):
            (record.event, record.target, record.session, record.pid) = ("session_opened", target, name, pid)
        case .sessionClosed(let target, let name):
            (record.event, record.target, record.session) = ("session_closed", target, name)
        case .waitingForLock(let name, let holders, let step, let task):
            (record.event, record.lock, record.holders) = ("waiting_for_lock", name, holders)
            (record.step, record.task) = (step, task)
        case .hookStarted(let point, let hook):
            (record.event, record.point, record.hook) = ("hook_started", point.rawValue, hook)
        case .hookFinished(let point, let hook, let error, let critical):
            (record.event, record.point, record.hook) = ("hook_finished", point.rawValue, hook)
            (record.error, record.critical, record.outcome) = (error, critical, error == nil ? "succeeded" : "failed")
        case .rolloutFinished(let step, let version, let targets, let notUpdated):
            (record.event, record.step, record.version, record.targets) = ("rollout_finished", step, version, targets)
            record.notUpdated = notUpdated.map { NotUpdated(target: $0.target, state: $0.state, detail: $0.detail) }
        case .deploymentFinished(let outcome, let duration, let error):
            (record.event, record.outcome, record.error) = ("deployment_finished", outcome.rawValue, error)
            record.durationSeconds = seconds(duration)
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
