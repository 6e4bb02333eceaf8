/// A stage of the process; steps run in sequence, their tasks in parallel.
public struct Step: Sendable {
    /// The step's name, unique in the project.
    public var name: String
    /// The tasks, all started together.
    public var tasks: [StepTask]
    /// Variables for this step (the highest scope).
    public var variables: [String: ConfigValue]
    /// A lock or semaphore held from the step's start until all its tasks end.
    public var lock: LockRequest?
    /// Rolls the step through its targets in batches behind a load balancer.
    public var rolling: RollingPolicy?
    /// A milestone reached when the step succeeds (besides `step:NAME`), which other deployments can wait for.
    public var milestone: String?
    /// Where the step is declared.
    public var location: SourceLocation?

    /// Creates a step.
    public init(
        name: String, tasks: [StepTask], variables: [String: ConfigValue] = [:], location: SourceLocation? = nil
    ) {
        self.name = name
        self.tasks = tasks
        self.variables = variables
        self.location = location
    }
}

/// A unit inside a step: runs on every target of its role.
public struct StepTask: Sendable {
    /// A name for progress output and logs.
    public var name: String
    /// The role whose targets run it.
    public var role: String
    /// What it does.
    public var action: Action
    /// How it runs and fails.
    public var options: TaskOptions
    /// Where the task is declared.
    public var location: SourceLocation?

    /// Creates a task.
    public init(
        name: String, role: String, action: Action, options: TaskOptions = TaskOptions(),
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.role = role
        self.action = action
        self.options = options
        self.location = location
    }

    /// What a task does.
    public enum Action: Sendable, Hashable {
        /// Runs an argv (its elements may hold `{{…}}` expressions, resolved per target).
        case run([String])
        /// Instantiates a step template from the plugin path with parameters.
        case template(String, with: [String: ConfigValue])
        /// Deploys another project of the workspace, once per deployment (on no target).
        case deploy(ProjectDeployment)
        /// Waits for another project's deployment to reach a milestone, once per deployment (on no target).
        case waitFor(MilestoneWait)

        /// Whether the task runs once per deployment, by lander itself, instead of on its role's targets.
        public var runsOnce: Bool {
            switch self {
            case .deploy, .waitFor: true
            case .run, .template: false
            }
        }
    }
}

/// How a task runs, retries and fails.
public struct TaskOptions: Sendable, Hashable {
    /// On failure, cancel the step's running tasks at once (otherwise they finish first).
    public var haltOnError: Bool = false
    /// When false, later steps start while the task runs on; the deployment still waits for it.
    public var waitForFinish: Bool = true
    /// When true, a failure is reported but neither fails the step nor stops later steps.
    public var continueOnError: Bool = false
    /// The longest one attempt on one target may take.
    public var timeout: Duration?
    /// Attempts after the first failure.
    public var retries: Int = 0
    /// The wait before the first retry; doubled for each further one.
    public var retryBackoff: Duration = .seconds(1)
    /// When the task runs, given how the deployment is going.
    public var when: RunCondition = .success
    /// Environment variables for the command (values may hold `{{…}}`).
    public var env: [String: String] = [:]
    /// At most this many targets at once (nil: all of them).
    public var parallelism: Int?
    /// A lock or semaphore the task holds while it runs on its targets.
    public var lock: LockRequest?
    /// Rolls this task through its targets in batches (a step's `rolling:` covers all its tasks instead).
    public var rolling: RollingPolicy?

    /// Default options.
    public init() {}
}

/// A named lock (`limit` 1) or counted semaphore, shared by every project using the same state store.
public struct LockRequest: Sendable, Hashable {
    /// The lock's name.
    public var name: String
    /// How many may hold it at once.
    public var limit: Int

    /// Creates a request.
    public init(name: String, limit: Int = 1) {
        self.name = name
        self.limit = limit
    }
}

/// When a task runs.
public enum RunCondition: String, Sendable, Hashable, CaseIterable {
    /// Only while nothing has failed (the default).
    case success
    /// Only once something has failed.
    case failure
    /// Whatever happened before.
    case always
}
