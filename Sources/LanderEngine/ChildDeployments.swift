public import LanderModel

/// What a deployment asks of another one: which project (a member of the same workspace, or a lander.yml),
/// where, which release, under which condition.
public struct ChildDeploymentRequest: Sendable, Hashable {
    /// The project: a workspace member's name, or a path to a lander.yml (tests, the bench).
    public var project: String
    /// The environment.
    public var environment: String
    /// Which release.
    public var source: ProjectDeployment.Source
    /// When to deploy at all.
    public var when: ProjectDeployment.Condition
    /// Wait for the end (else return once it started).
    public var wait: Bool
    /// Put back what the environment ran before, should the asking deployment fail later.
    public var compensate = false
    /// The deployment asking (its child is linked to it).
    public var parent: String

    /// Creates a request.
    public init(
        project: String, environment: String, source: ProjectDeployment.Source,
        when: ProjectDeployment.Condition = .always, wait: Bool = true, parent: String
    ) {
        self.project = project
        self.environment = environment
        self.source = source
        self.when = when
        self.wait = wait
        self.parent = parent
    }

    /// A request for a version, always deployed and awaited.
    public init(project: String, environment: String, version: String, parent: String) {
        self.init(project: project, environment: environment, source: .version(version), parent: parent)
    }
}

/// How a child deployment went.
public struct ChildDeploymentResult: Sendable, Hashable {
    /// What happened.
    public enum Status: String, Sendable, Hashable {
        /// It ran and ended (see `outcome`).
        case deployed
        /// It was not needed (`when:`); `reason` says why.
        case skipped
        /// It started and was not awaited.
        case started
    }

    /// The child's id (nil when skipped).
    public var id: String?
    /// What happened.
    public var status: Status
    /// Its outcome (`.succeeded` when skipped or only started).
    public var outcome: DeploymentOutcome
    /// Its first error, when it failed.
    public var error: String?
    /// The version it delivered, or that the environment already runs when skipped.
    public var version: String?
    /// Why it was skipped.
    public var reason: String?

    /// Creates a result.
    public init(
        id: String?, status: Status = .deployed, outcome: DeploymentOutcome, error: String?, version: String? = nil,
        reason: String? = nil
    ) {
        self.id = id
        self.status = status
        self.outcome = outcome
        self.error = error
        self.version = version
        self.reason = reason
    }

    /// What a later step reads as `output.STEP.…` (status, id, version, outcome, error, reason).
    public var outputs: [String: ConfigValue] {
        var outputs: [String: ConfigValue] = ["status": .string(status.rawValue), "outcome": .string(outcome.rawValue)]
        if let id { outputs["id"] = .string(id) }
        if let version { outputs["version"] = .string(version) }
        if let error { outputs["error"] = .string(error) }
        if let reason { outputs["reason"] = .string(reason) }
        return outputs
    }
}

/// Through this a running deployment starts another deployment and awaits it (deploy-and-wait, a
/// phone-home job, compensation, promotion). The engine declares it; the service implements it, so a
/// child goes through the same lock, record and rules as any deployment.
public protocol ChildDeployments: MilestoneWatch {
    /// Starts the child and returns once it has ended (or started, without `wait`); cancelling the caller
    /// cancels the child. `progress` hears one line per step the child starts and ends.
    func deployAndWait(_ request: ChildDeploymentRequest, progress: @escaping @Sendable (String) -> Void)
        async throws -> ChildDeploymentResult

    /// The deployment failed: deploys again, newest child first, what the environment ran before each
    /// child asked with `compensate` changed it (recorded as `compensation` deployments, linked to the
    /// parent). Returns the problems, if any.
    func compensate(progress: @escaping @Sendable (String) -> Void) async -> [String]
}

/// How a wait for another project's milestone ended.
public struct MilestoneResult: Sendable, Hashable {
    /// What was found.
    public enum State: Sendable, Hashable {
        /// The deployment reached it (at once: it had already, when `waited` is false).
        case reached(deployment: String, waited: Bool)
        /// The project was not being deployed there: nothing to wait for.
        case notRunning
        /// The deployment ended without reaching it.
        case ended(deployment: String, outcome: DeploymentOutcome, error: String?)
    }

    /// The project waited for.
    public var project: String
    /// The milestone.
    public var milestone: String
    /// What was found.
    public var state: State

    /// Creates a result.
    public init(project: String, milestone: String, state: State) {
        self.project = project
        self.milestone = milestone
        self.state = state
    }

    /// One line for the output: which of the cases it was.
    public var summary: String {
        switch state {
        case .reached(let id, true): "\(project) reached '\(milestone)' (deployment \(id)); going on"
        case .reached(let id, false): "\(project) had already reached '\(milestone)' (deployment \(id)); going on"
        case .notRunning: "\(project) is not being deployed there; going on without waiting"
        case .ended(let id, let outcome, let error):
            "\(project) deployment \(id) \(outcome.rawValue) before '\(milestone)'" + (error.map { ": \($0)" } ?? "")
        }
    }

    /// What a later step reads: `status` (reached, not_running, missing) and `id`.
    public var outputs: [String: ConfigValue] {
        switch state {
        case .reached(let id, _): ["status": .string("reached"), "id": .string(id)]
        case .notRunning: ["status": .string("not_running")]
        case .ended(let id, let outcome, _):
            ["status": .string("missing"), "id": .string(id), "outcome": .string(outcome.rawValue)]
        }
    }
}

/// Through this a running deployment waits for another project's milestone; the service implements it
/// on the store, so the other deployment may run in another `lander` process.
public protocol MilestoneWatch: Sendable {
    /// Waits (without spinning) until the other project's running deployment in `environment` reaches the
    /// milestone or ends; at once when none runs. `progress` hears lines for the output; `waiting` what it
    /// waits for, once it starts to (recorded, for `lander status`).
    func waitFor(
        _ request: MilestoneWait, environment: String, progress: @escaping @Sendable (String) -> Void,
        waiting: @escaping @Sendable (String) -> Void
    ) async throws -> MilestoneResult
}
