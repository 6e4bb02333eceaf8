import Foundation
import LanderEngine
import LanderModel
import LanderStore
import Synchronization

/// Phone home, the service's side: the grants of running deployments (a token per calling target, kept
/// by its SHA-256 only), the job runs they share, and the audit. The HTTP endpoint hands it the request's
/// `Authorization` header and body and sends back its reply; what a call may do comes from the token alone.
public final class CallDesk: Sendable {
    /// What a running deployment's targets may ask for, and how its jobs run.
    struct Session: Sendable {
        var deployment: String
        var project: String
        var environment: String
        var jobs: [String: Job]
        var store: StateStore
        /// Records an event in the deployment's journal.
        var record: @Sendable (DeploymentEvent) -> Void
        /// Runs a job for a target with the call's variables; `call` names the run.
        var launch:
            @Sendable (_ job: Job, _ variables: [String: String], _ target: String, _ call: String) async -> JobOutcome
    }

    /// One target's token, by its hash.
    struct Grant: Sendable {
        var deployment: String
        var target: String
        var jobs: [String]
    }

    /// One run of a job, shared by the callers that join it.
    struct Run: Sendable {
        var id: String
        var deployment: String
        var job: String
        var key: String
        var task: Task<JobOutcome, Never>
    }

    struct State {
        var sessions: [String: Session] = [:]
        var grants: [String: Grant] = [:]
        var runs: [String: Run] = [:]
        /// Run ids by deployment and job key (job and variables), for callers to join.
        var shared: [String: String] = [:]
        /// Stores of deployments seen, where ended tokens are looked up.
        var stores: [String: StateStore] = [:]
        /// Deployments being cancelled or ending: they start no new runs.
        var closing: Set<String> = []
    }

    let state = Mutex(State())

    /// What a request's token allows.
    enum Authorization {
        case granted(Grant, Session)
        case refused(CallReply)
    }

    /// Creates an empty desk.
    public init() {}

    /// Opens a running deployment's calls: a token for each target whose roles may ask for a job, its hash
    /// recorded. Returns the tokens by target (none when no target may call).
    func open(_ session: Session, targets: [(name: String, roles: [String])], callable: ([String]) -> [String])
        throws(ServiceError) -> [String: String]
    {
        var tokens: [String: String] = [:]
        var grants: [(hash: String, target: String, jobs: [String])] = []
        for target in targets {
            let jobs = callable(target.roles)
            guard !jobs.isEmpty else { continue }
            let token = CallToken.make()
            tokens[target.name] = token
            grants.append((BearerToken.hash(token), target.name, jobs))
        }
        guard !tokens.isEmpty else { return [:] }
        do {
            try session.store.recordGrants(grants, deployment: session.deployment)
        } catch {
            throw ServiceError(.refused, "cannot record the phone-home grants: \(error)")
        }
        state.withLock { state in
            state.sessions[session.deployment] = session
            state.stores[session.store.path] = session.store
            for grant in grants {
                state.grants[grant.hash] = Grant(deployment: session.deployment, target: grant.target, jobs: grant.jobs)
            }
        }
        return tokens
    }

    /// Cancels the deployment's job runs (it is being cancelled); their callers get a `cancelled` reply.
    func cancelRuns(of deployment: String) {
        let runs = state.withLock { state in
            state.closing.insert(deployment)
            return state.runs.values.filter { $0.deployment == deployment }
        }
        for run in runs { run.task.cancel() }
    }

    /// Closes a deployment's calls when it ends: its tokens stop working, its runs still going are cancelled.
    func close(_ deployment: String) async {
        let (session, runs) = state.withLock { state -> (Session?, [Run]) in
            state.closing.insert(deployment)
            let session = state.sessions.removeValue(forKey: deployment)
            state.grants = state.grants.filter { $0.value.deployment != deployment }
            let runs = state.runs.values.filter { $0.deployment == deployment }
            return (session, runs)
        }
        for run in runs { run.task.cancel() }
        for run in runs { _ = await run.task.value }
        // Its token no longer works, so nothing can ask for these runs again.
        state.withLock { state in
            for run in runs {
                state.runs[run.id] = nil
                state.shared[run.key] = nil
            }
            state.closing.remove(deployment)
        }
        try? session?.store.endGrants(of: deployment)
    }

    /// The grant and session of a request's token, or the refusal (401 without a valid token, 403 for an
    /// ended deployment's), recorded.
    func authorize(_ authorization: String?) -> Authorization {
        guard let token = BearerToken.parse(authorization) else {
            return .refused(
                refuse(
                    401, "unauthorized", "no token: send Authorization: Bearer $LANDER_CALLBACK_TOKEN", grant: nil,
                    job: nil))
        }
        let hash = BearerToken.hash(token)
        let found = state.withLock { state -> (Grant, Session)? in
            guard let grant = state.grants[hash], let session = state.sessions[grant.deployment] else { return nil }
            return (grant, session)
        }
        if let found { return .granted(found.0, found.1) }
        for store in state.withLock({ Array($0.stores.values) }) {
            if let stored = try? store.grant(hash: hash) {
                let entry = CallAudit(
                    deployment: stored.deployment, target: stored.target, job: nil, status: 403, outcome: "refused",
                    detail: "the token of an ended deployment")
                try? store.audit(entry)
                return .refused(
                    CallReply.error(
                        403, "ended",
                        "deployment \(stored.deployment) has ended; its tokens no longer work (target \(stored.target))"
                    ))
            }
        }
        return .refused(refuse(401, "unauthorized", "unknown token", grant: nil, job: nil))
    }

    /// A refusal: audited (in the deployment's journal and the store when the token named one, else in
    /// every store in use) and answered.
    func refuse(_ status: Int, _ code: String, _ message: String, grant: (Grant, Session)?, job: String?) -> CallReply {
        let entry = CallAudit(
            deployment: grant?.0.deployment, target: grant?.0.target, job: job, status: status, outcome: "refused",
            detail: message)
        if let (grant, session) = grant {
            session.record(
                .call(target: grant.target, job: job, status: status, outcome: "refused", detail: message, child: nil))
            try? session.store.audit(entry)
        } else {
            for store in state.withLock({ Array($0.stores.values) }) { try? store.audit(entry) }
        }
        return CallReply.error(status, code, message)
    }
}
