/// Work a target may ask Lander for while a deployment runs (phone home): steps of this project that run
/// only when asked for, or a deployment of another project of the workspace. It always runs in the
/// caller's own environment; the caller never chooses where.
public struct Job: Sendable {
    /// What the job does.
    public enum Work: Sendable {
        /// These steps of the project, on the environment's targets for the roles their tasks name.
        case steps([Step])
        /// A deployment of another project of the workspace to the caller's environment.
        case project(ProjectDeployment)
    }

    /// The job's name, unique in the project (`lander-call NAME`).
    public var name: String
    /// What it does.
    public var work: Work
    /// The roles whose targets may ask for it.
    public var callers: [String]
    /// Run again for every call (else one run per deployment and set of variables, shared by every caller).
    public var perCall = false
    /// The longest a run may take; it is cancelled then and the callers get an error.
    public var timeout: Duration = Job.defaultTimeout
    /// Variables a call may set (`lander-call JOB --var KEY=VALUE`), with their defaults; the job's steps
    /// read them like project variables. A call may set no other.
    public var variables: [String: ConfigValue] = [:]
    /// Where the job is declared.
    public var location: SourceLocation?

    /// How long a job may run when it says nothing.
    public static let defaultTimeout: Duration = .seconds(30 * 60)

    /// Creates a job.
    public init(name: String, work: Work, callers: [String], location: SourceLocation? = nil) {
        self.name = name
        self.work = work
        self.callers = callers
        self.location = location
    }

    /// The roles whose targets run it (a project job runs on the other project's own targets: none here).
    public var roles: [String] {
        guard case .steps(let steps) = work else { return [] }
        return Array(Set(steps.flatMap { $0.tasks.filter { !$0.action.runsOnce }.map(\.role) })).sorted()
    }
}

extension Project {
    /// The jobs a target with these roles may ask for, by name.
    public func jobs(callableBy roles: [String]) -> [String] {
        jobs.filter { job in job.callers.contains { roles.contains($0) } }.map(\.name).sorted()
    }

    /// The job with a name.
    public func job(named name: String) -> Job? { jobs.first { $0.name == name } }
}
