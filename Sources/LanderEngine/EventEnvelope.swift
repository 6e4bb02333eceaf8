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

    /// A JSON string literal, escaped exactly as `JSONEncoder` escapes (`/` left as it is).
    public static func quoted(_ text: String) -> String { JSONWriter.quoted(text) }

    /// The event's JSON text, keys sorted: the same bytes `JSONEncoder` writes for it (sorted keys, snake_case,
    /// slashes unescaped), written directly because the journal writes one per event.
    public var json: String {
        var record = Record(time: Self.timestamp(time), event: "")
        record.deployment = deployment
        record.sequence = sequence
        Self.fill(&record, from: event)
        return record.json
    }

    /// UTC with milliseconds: `2026-11-22T20:33:03.125Z` (written by hand: one per event, and the format
    /// styles cost microseconds each).
    public static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let millis = min(Int(((seconds - Double(whole)) * 1000).rounded(.down)), 999)
        var parts = tm()
        gmtime_r(&whole, &parts)
        var out: [UInt8] = []
        out.reserveCapacity(24)
        func pad(_ value: Int32, _ width: Int, then separator: Character?) {
            var digits = [UInt8](repeating: 0x30, count: width)
            var rest = max(0, value)
            for index in stride(from: width - 1, through: 0, by: -1) {
                digits[index] = 0x30 + UInt8(rest % 10)
                rest /= 10
            }
            out.append(contentsOf: digits)
            if let separator, let byte = separator.asciiValue { out.append(byte) }
        }
        pad(parts.tm_year + 1900, 4, then: "-")
        pad(parts.tm_mon + 1, 2, then: "-")
        pad(parts.tm_mday, 2, then: "T")
        pad(parts.tm_hour, 2, then: ":")
        pad(parts.tm_min, 2, then: ":")
        pad(parts.tm_sec, 2, then: ".")
        pad(Int32(millis), 3, then: "Z")
        return String(decoding: out, as: UTF8.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var record = Record(time: Self.timestamp(time), event: "")
        record.deployment = deployment
        record.sequence = sequence
        Self.fill(&record, from: event)
        try record.encode(to: encoder)
    }

    fileprivate struct Record: Encodable {
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
        var milestone: String?
        var doneEarlier: Bool?
        var job: String?, status: Int?, child: String?
        var requestedBy: String?
    }

    /// A target a rollout did not leave on the new version.
    fileprivate struct NotUpdated: Encodable {
        var target: String, state: String, detail: String?
    }

    // One case per kind of event: a flat list is the clearest way to keep the schema in one place.
    // swift-format-ignore
    private static func fill(_ record: inout Record, from event: DeploymentEvent) {
        switch event {
        case .deploymentQueued(let project, let environment, let version, let requestedBy):
            (record.event, record.project, record.environment) = ("deployment_queued", project, environment)
            (record.version, record.requestedBy) = (version, requestedBy)
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
            (record.attempt, record.error, record.delaySeconds) = (attempt, error, delay.seconds)
        case .targetFinished(let step, let task, let target, let outcome, let duration, let exitCode, let earlier):
            (record.event, record.step, record.task, record.target) = ("target_finished", step, task, target)
            record.exitCode = exitCode
            record.doneEarlier = earlier ? true : nil
            record.outcome = outcome.word
            record.durationSeconds = duration.seconds
            if case .failed(let message) = outcome { record.error = message }
            if case .tolerated(let message) = outcome { record.error = message }
        case .stepFinished(let step, let succeeded, let duration, let cancelled):
            (record.event, record.step) = ("step_finished", step)
            record.outcome = cancelled ? "cancelled" : succeeded ? "succeeded" : "failed"
            record.durationSeconds = duration.seconds
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
        case .waiting(let step, let task, let what):
            (record.event, record.step, record.task, record.message) = ("waiting", step, task, what)
        case .milestone(let name, let step):
            (record.event, record.milestone, record.step) = ("milestone", name, step)
        case .call(let target, let job, let status, let outcome, let detail, let child):
            (record.event, record.target, record.job, record.status) = ("call", target, job, status)
            (record.outcome, record.message, record.child) = (outcome, detail, child)
        case .deploymentFinished(let outcome, let duration, let error):
            (record.event, record.outcome, record.error) = ("deployment_finished", outcome.rawValue, error)
            record.durationSeconds = duration.seconds
        }
    }
}

extension EventEnvelope.Record {
    /// The JSON object, keys in sorted order, absent fields left out.
    fileprivate var json: String {
        var out = JSONWriter()
        out.field("attempt", attempt)
        out.field("child", child)
        out.field("critical", critical)
        out.field("delay_seconds", delaySeconds)
        out.field("deployment", deployment)
        out.field("detached", detached)
        out.field("done_earlier", doneEarlier)
        out.field("duration_seconds", durationSeconds)
        out.field("environment", environment)
        out.field("error", error)
        out.field("event", event)
        out.field("exit_code", exitCode.map(Int.init))
        out.field("holders", holders)
        out.field("hook", hook)
        out.field("id", id)
        out.field("job", job)
        out.field("level", level)
        out.field("line", line)
        out.field("lock", lock)
        out.field("message", message)
        out.field("milestone", milestone)
        if let notUpdated {
            out.key("not_updated")
            out.raw(
                "["
                    + notUpdated.map { entry in
                        var item = JSONWriter()
                        item.field("detail", entry.detail)
                        item.field("state", entry.state)
                        item.field("target", entry.target)
                        return item.closed
                    }.joined(separator: ",") + "]")
        }
        out.field("outcome", outcome)
        out.field("pid", pid.map(Int.init))
        out.field("point", point)
        out.field("project", project)
        out.field("reason", reason)
        out.field("requested_by", requestedBy)
        out.field("sequence", sequence)
        out.field("session", session)
        out.field("state", state)
        out.field("status", status)
        out.field("step", step)
        out.field("steps", steps)
        out.field("stream", stream)
        out.field("target", target)
        out.field("targets", targets)
        out.field("task", task)
        out.field("tasks", tasks)
        out.field("time", time)
        out.field("version", version)
        return out.closed
    }
}

/// Writes one flat JSON object the way `JSONEncoder` does (no spaces, `/` unescaped), into bytes: the journal
/// writes one per event, so nothing is built piece by piece as strings.
private struct JSONWriter {
    private var bytes: [UInt8]
    private var empty = true

    init() {
        bytes = []
        bytes.reserveCapacity(256)
        bytes.append(UInt8(ascii: "{"))
    }

    /// The object, closed.
    var closed: String {
        var out = bytes
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    mutating func key(_ name: StaticString) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends JSON text as it is (an array or object written by another writer).
    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        Self.appendQuoted(value, to: &bytes)
    }

    mutating func field(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func field(_ name: StaticString, _ value: Double?) {
        guard let value else { return }
        key(name)
        if !value.isFinite {
            raw("null")
        } else if value == value.rounded(), abs(value) < 1e15 {
            raw(String(Int64(value)))  // as JSONEncoder writes 2.0: `2`
        } else {
            raw("\(value)")
        }
    }

    mutating func field(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        raw(value ? "true" : "false")
    }

    mutating func field(_ name: StaticString, _ value: [String]?) {
        guard let value else { return }
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, item) in value.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendQuoted(item, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A JSON string literal.
    static func quoted(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 2)
        appendQuoted(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `value` quoted; bytes of multi-byte characters (all ≥ 0x80) pass through as they are.
    static func appendQuoted(_ value: String, to out: inout [UInt8]) {
        let backslash = UInt8(ascii: "\\")
        out.append(UInt8(ascii: "\""))
        let plain = value.utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != backslash }
        if plain {
            out.append(contentsOf: value.utf8)
        } else {
            for byte in value.utf8 {
                let escaped: UInt8? =
                    switch byte {
                    case UInt8(ascii: "\""), backslash: byte
                    case 0x0A: UInt8(ascii: "n")
                    case 0x0D: UInt8(ascii: "r")
                    case 0x09: UInt8(ascii: "t")
                    case 0x08: UInt8(ascii: "b")
                    case 0x0C: UInt8(ascii: "f")
                    default: nil
                    }
                if let escaped {
                    out.append(backslash)
                    out.append(escaped)
                } else if byte < 0x20 {
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: "\\u00".utf8)
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0xF)])
                } else {
                    out.append(byte)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
