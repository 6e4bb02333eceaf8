/// A task that deploys another project of the workspace (a full deployment of its own: record, lock,
/// hooks), linked to the deployment that asked, and by default waits for it.
public struct ProjectDeployment: Sendable, Hashable {
    /// Which release the other project gets.
    public enum Source: Sendable, Hashable {
        /// This version (may hold `{{…}}`, e.g. `{{release.version}}`).
        case version(String)
        /// A release recorded with `lander release create`.
        case release(String)
        /// The release it last deployed successfully to this environment (same packages).
        case from(environment: String)
    }

    /// When the other project is deployed at all.
    public enum Condition: String, Sendable, Hashable, CaseIterable {
        /// Every time.
        case always
        /// Unless the environment already runs that version.
        case notCurrent = "not_current"
        /// Only when that version is higher than the one the environment runs (or none runs).
        case higher
        /// Only when the project was never deployed to the environment.
        case notDeployed = "not_deployed"
    }

    /// The other project's name (a member of the same workspace).
    public var project: String
    /// Which release.
    public var source: Source
    /// The environment (nil: the deploying one).
    public var environment: String?
    /// When.
    public var when: Condition
    /// Whether the task waits for the other deployment to end (else it ends once it started).
    public var wait: Bool
    /// The longest the task waits; the other deployment is cancelled then.
    public var timeout: Duration?
    /// When this deployment fails later, deploy again what the environment ran before the child.
    public var compensate = false

    /// Creates one.
    public init(
        project: String, source: Source, environment: String? = nil, when: Condition = .always, wait: Bool = true,
        timeout: Duration? = nil
    ) {
        self.project = project
        self.source = source
        self.environment = environment
        self.when = when
        self.wait = wait
        self.timeout = timeout
    }
}

/// A task that waits until another project's running deployment reaches a milestone (`step:NAME` when a
/// step finished, a step's `milestone:`, or one a script reported); once per deployment, on no target.
public struct MilestoneWait: Sendable, Hashable {
    /// What to do when the other deployment ends (fails, is cancelled, or succeeds) without the milestone.
    public enum Missing: String, Sendable, Hashable, CaseIterable {
        /// The waiting task fails with that deployment's id and error.
        case fail
        /// The waiting task goes on.
        case `continue`
    }

    /// The other project's name.
    public var project: String
    /// The milestone (`step:migrate` for `step: migrate`).
    public var milestone: String
    /// Its environment (nil: the waiting deployment's).
    public var environment: String?
    /// The longest the task waits.
    public var timeout: Duration?
    /// When the other deployment ends without it.
    public var onMissing: Missing

    /// Creates one.
    public init(
        project: String, milestone: String, environment: String? = nil, timeout: Duration? = nil,
        onMissing: Missing = .fail
    ) {
        self.project = project
        self.milestone = milestone
        self.environment = environment
        self.timeout = timeout
        self.onMissing = onMissing
    }
}
