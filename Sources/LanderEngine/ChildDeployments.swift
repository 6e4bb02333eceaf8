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
public protocol ChildDeployments: Sendable {
    /// Starts the child and returns once it has ended (or started, without `wait`); cancelling the caller
    /// cancels the child. `progress` hears one line per step the child starts and ends.
    func deployAndWait(_ request: ChildDeploymentRequest, progress: @escaping @Sendable (String) -> Void)
        async throws -> ChildDeploymentResult
}
