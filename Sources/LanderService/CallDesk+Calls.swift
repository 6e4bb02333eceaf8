public import Foundation
import LanderEngine
public import LanderModel
import LanderStore

/// How a job run ended, as its callers get it.
public struct JobOutcome: Sendable, Hashable {
    /// The job's deployment (nil when none started).
    public var child: String?
    /// `succeeded`, `failed` or `cancelled`.
    public var outcome: String
    /// The headline error, when it did not succeed.
    public var error: String?
    /// What its tasks set: step → target → key → value (secrets masked).
    public var outputs: [String: ConfigValue]

    /// Creates an outcome.
    public init(child: String?, outcome: String, error: String?, outputs: [String: ConfigValue] = [:]) {
        (self.child, self.outcome, self.error, self.outputs) = (child, outcome, error, outputs)
    }
}

/// The endpoint's answer: an HTTP status, headers and a JSON body.
public struct CallReply: Sendable {
    /// The HTTP status.
    public var status: Int
    /// `Lander-Outcome`, `Lander-Call`, `Lander-Error` (one line, for shell clients).
    public var headers: [String: String]
    /// The JSON body.
    public var body: Data

    /// An error reply: `{"error": {"code", "message"}}`, the message also in `Lander-Error`.
    static func error(_ status: Int, _ code: String, _ message: String) -> CallReply {
        let body = ["error": ["code": code, "message": message]]
        return CallReply(
            status: status, headers: ["Lander-Error": headerValue(message)],
            body: (try? JSONEncoder().encode(body)) ?? Data())
    }

    /// A header value: one line of printable ASCII, at most 400 characters.
    static func headerValue(_ text: String) -> String {
        String(
            String(text.unicodeScalars.map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? Character($0) : " " })
                .prefix(400))
    }
}

/// What a call asks for (the request's JSON body).
struct CallBody: Decodable {
    var job: String
    var vars: [String: String]?
    var wait: Bool?
    /// Only checked: a call runs in its token's environment and project, whatever it says.
    var environment: String?
    var project: String?
}

extension CallDesk {
    /// `POST /v1/calls`: runs (or joins) the job the body names for the token's target, in the token's
    /// environment; with `wait` (the default) answers when the job ends. `outputsOnly`: the body is the
    /// job's outputs alone (what `lander-call` prints).
    public func call(authorization: String?, body: Data, outputsOnly: Bool = false) async -> CallReply {
        let granted: (Grant, Session)
        switch authorize(authorization) {
        case .refused(let reply): return reply
        case .granted(let grant, let session): granted = (grant, session)
        }
        let (grant, session) = granted
        let request: CallBody
        do {
            request = try JSONDecoder().decode(CallBody.self, from: body)
        } catch {
            return CallReply.error(
                400, "bad_request", "the body must be JSON like {\"job\": \"NAME\", \"vars\": {\"KEY\": \"VALUE\"}}")
        }
        if let environment = request.environment, environment != session.environment {
            return refuse(
                403, "forbidden",
                "target \(grant.target) deploys to \(session.environment) and may not ask for work in \(environment)",
                grant: granted, job: request.job)
        }
        if let project = request.project, project != session.project {
            return refuse(
                403, "forbidden", "target \(grant.target)'s token is for project \(session.project), not \(project)",
                grant: granted, job: request.job)
        }
        guard grant.jobs.contains(request.job), let job = session.jobs[request.job] else {
            return refuse(
                403, "forbidden",
                "target \(grant.target) may not ask for job '\(request.job)'; it may ask for: "
                    + grant.jobs.joined(separator: ", "), grant: granted, job: request.job)
        }
        let variables = request.vars ?? [:]
        if let unknown = variables.keys.sorted().first(where: { job.variables[$0] == nil }) {
            let known = job.variables.keys.sorted()
            return CallReply.error(
                400, "bad_request",
                "job '\(job.name)' takes no variable '\(unknown)'; "
                    + (known.isEmpty ? "it takes none" : "it takes: " + known.joined(separator: ", ")))
        }
        guard let (run, joined) = start(job, variables: variables, for: grant, in: session) else {
            return refuse(
                403, "ended", "deployment \(grant.deployment) is ending; it starts no more jobs", grant: granted,
                job: job.name)
        }
        session.record(
            .call(
                target: grant.target, job: job.name, status: request.wait == false ? 202 : 200,
                outcome: joined ? "joined" : "called", detail: nil, child: nil))
        try? session.store.audit(
            CallAudit(
                deployment: grant.deployment, target: grant.target, job: job.name, status: 200,
                outcome: joined ? "joined" : "called", detail: nil))
        guard request.wait ?? true else {
            let body = ["call": run.id, "job": job.name, "state": "running"]
            return CallReply(
                status: 202, headers: ["Lander-Call": run.id, "Lander-Outcome": "running"],
                body: (try? JSONEncoder().encode(body)) ?? Data())
        }
        return Self.reply(run, await run.task.value, outputsOnly: outputsOnly)
    }

    /// `GET /v1/calls/ID`: waits for a run of the token's deployment to end and answers as `call` does.
    public func result(authorization: String?, call id: String, outputsOnly: Bool = false) async -> CallReply {
        let granted: (Grant, Session)
        switch authorize(authorization) {
        case .refused(let reply): return reply
        case .granted(let grant, let session): granted = (grant, session)
        }
        guard let run = state.withLock({ $0.runs[id] }), run.deployment == granted.0.deployment else {
            return CallReply.error(404, "not_found", "no call \(id) in deployment \(granted.0.deployment)")
        }
        return Self.reply(run, await run.task.value, outputsOnly: outputsOnly)
    }

    /// The run callers of this job and variables share (started now when there is none, or when the job
    /// runs per call), and whether the caller joined one already going or done.
    private func start(_ job: Job, variables: [String: String], for grant: Grant, in session: Session) -> (Run, Bool)? {
        let key =
            session.deployment + "\u{0}" + job.name + "\u{0}"
            + variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{0}")
        return state.withLock { state in
            if !job.perCall, let id = state.shared[key], let run = state.runs[id] { return (run, true) }
            guard state.sessions[session.deployment] != nil, !state.closing.contains(session.deployment) else {
                return nil
            }
            let id = "call-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let (launch, record, store) = (session.launch, session.record, session.store)
            let (target, deployment) = (grant.target, session.deployment)
            let task = Task(executorPreference: store.executor) {
                let outcome = await Self.within(job) { await launch(job, variables, target, id) }
                record(
                    .call(
                        target: target, job: job.name, status: 200, outcome: outcome.outcome, detail: outcome.error,
                        child: outcome.child))
                try? store.audit(
                    CallAudit(
                        deployment: deployment, target: target, job: job.name, status: 200, outcome: outcome.outcome,
                        detail: outcome.error, child: outcome.child))
                return outcome
            }
            let run = Run(id: id, deployment: session.deployment, job: job.name, key: key, task: task)
            state.runs[id] = run
            if !job.perCall { state.shared[key] = id }
            return (run, false)
        }
    }

    private enum Race: Sendable {
        case done(JobOutcome)
        case timedOut
        case interrupted
    }

    /// Runs a job to its end or its timeout (it is cancelled then, and fails with the reason).
    static func within(_ job: Job, _ body: @escaping @Sendable () async -> JobOutcome) async -> JobOutcome {
        await withTaskGroup(of: Race.self) { group in
            group.addTask { .done(await body()) }
            group.addTask {
                do {
                    try await Task.sleep(for: job.timeout)
                    return .timedOut
                } catch {
                    return .interrupted
                }
            }
            var timedOut = false
            while let next = await group.next() {
                switch next {
                case .done(var outcome):
                    group.cancelAll()
                    if timedOut {
                        outcome.outcome = "failed"
                        outcome.error =
                            "job '\(job.name)' did not end within \(job.timeout.formatted) and was cancelled"
                    }
                    return outcome
                case .timedOut:
                    timedOut = true
                    group.cancelAll()
                case .interrupted: continue
                }
            }
            return JobOutcome(child: nil, outcome: "cancelled", error: "job '\(job.name)' was cancelled")
        }
    }

    /// The reply for an ended run.
    static func reply(_ run: Run, _ outcome: JobOutcome, outputsOnly: Bool) -> CallReply {
        var headers = ["Lander-Call": run.id, "Lander-Outcome": outcome.outcome]
        if let error = outcome.error { headers["Lander-Error"] = CallReply.headerValue(error) }
        if let child = outcome.child { headers["Lander-Deployment"] = child }
        let value: ConfigValue =
            outputsOnly
            ? .map(outcome.outputs)
            : .map([
                "call": .string(run.id), "job": .string(run.job), "outcome": .string(outcome.outcome),
                "deployment": outcome.child.map(ConfigValue.string) ?? .null,
                "error": outcome.error.map(ConfigValue.string) ?? .null, "outputs": .map(outcome.outputs),
            ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return CallReply(status: 200, headers: headers, body: (try? encoder.encode(value)) ?? Data())
    }
}
