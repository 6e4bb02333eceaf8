/// Another deployment a running one asks for: a project (a lander.yml path now, a workspace project's name
/// soon) to an environment at a version.
public struct ChildDeploymentRequest: Sendable, Hashable {
    /// The project.
    public var project: String
    /// The environment.
    public var environment: String
    /// The version.
    public var version: String
    /// The deployment asking (its child is linked to it).
    public var parent: String

    /// Creates a request.
    public init(project: String, environment: String, version: String, parent: String) {
        self.project = project
        self.environment = environment
        self.version = version
        self.parent = parent
    }
}

/// How a child deployment ended.
public struct ChildDeploymentResult: Sendable, Hashable {
    /// The child's id.
    public var id: String
    /// Its outcome.
    public var outcome: DeploymentOutcome
    /// Its first error, when it failed.
    public var error: String?

    /// Creates a result.
    public init(id: String, outcome: DeploymentOutcome, error: String?) {
        self.id = id
        self.outcome = outcome
        self.error = error
    }
}

/// Through this a running deployment starts another deployment and awaits it (deploy-and-wait, a
/// phone-home job, compensation, promotion). The engine declares it; the service implements it, so a
/// child goes through the same lock, record and rules as any deployment.
public protocol ChildDeployments: Sendable {
    /// Starts the child and returns once it has ended; cancelling the caller cancels the child.
    func deployAndWait(_ request: ChildDeploymentRequest) async throws -> ChildDeploymentResult
}
