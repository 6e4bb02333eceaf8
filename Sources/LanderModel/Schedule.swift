/// A cron-timed action of the workspace: run once per due time, whichever process (`lander server`,
/// `lander schedule run-due`) claims it first.
public struct Schedule: Sendable {
    /// What a schedule does when due.
    public enum Action: Sendable {
        /// Promotes projects (empty: all) from one environment to another.
        case promote(from: String, to: String, projects: [String])
        /// Deploys a project: a version, or what another environment runs.
        case deploy(project: String, environment: String, version: String?, from: String?)
        /// Mails the report of the last `since`.
        case report(to: [String], since: Duration, environment: String?, format: ReportFormat)

        /// A line saying what it does.
        public var summary: String {
            switch self {
            case .promote(let from, let to, let projects):
                "promote \(projects.isEmpty ? "all" : projects.joined(separator: ", ")) \(from) → \(to)"
            case .deploy(let project, let environment, let version, let from):
                "deploy \(project) \(version ?? "as in \(from ?? "?")") → \(environment)"
            case .report(let to, let since, let environment, let format):
                "report of \(Int(since.seconds / 3600))h\(environment.map { " in \($0)" } ?? "") (\(format.rawValue)) to "
                    + to.joined(separator: ", ")
            }
        }
    }

    /// Its name, unique in the workspace.
    public var name: String
    /// When it is due.
    public var cron: CronExpression
    /// The time zone its cron is read in (an IANA name such as `Europe/Berlin`).
    public var timeZone: String
    /// How late a run missed while nothing ran may still happen.
    public var grace: Duration
    /// What it does.
    public var action: Action
    /// Where it is written.
    public var location: SourceLocation?

    /// Creates a schedule.
    public init(
        name: String, cron: CronExpression, timeZone: String = "UTC", grace: Duration = .seconds(600),
        action: Action, location: SourceLocation? = nil
    ) {
        self.name = name
        self.cron = cron
        self.timeZone = timeZone
        self.grace = grace
        self.action = action
        self.location = location
    }
}

/// The formats `lander report` writes.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, markdown, html, json
}
