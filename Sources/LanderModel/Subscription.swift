/// A filter over events and where the events it lets through go (a webhook or email), delivered at least
/// once through the store's outbox.
public struct Subscription: Sendable {
    /// The kinds of event a subscription can ask for.
    public enum EventKind: String, Sendable, CaseIterable {
        case deploymentQueued = "deployment_queued"
        case deploymentStarted = "deployment_started"
        case deploymentSucceeded = "deployment_succeeded"
        case deploymentFailed = "deployment_failed"
        case deploymentCancelled = "deployment_cancelled"
        case stepFailed = "step_failed"
        case targetLeftOut = "target_left_out"
        case lockWaited = "lock_waited"
        case milestone
    }

    /// Its name, unique in the workspace (`lander subscriptions test NAME`).
    public var name: String
    /// The kinds it delivers (empty with a group condition: that fires instead).
    public var events: Set<EventKind>
    /// Only these projects (empty: all).
    public var projects: [String]
    /// Only these environments (empty: all).
    public var environments: [String]
    /// How long a lock is waited on before `lock_waited` fires.
    public var lockWait: Duration
    /// Fires once when a set of projects has all reached a version in an environment.
    public var group: GroupCondition?
    /// Where it delivers.
    public var destination: Destination
    /// Where it is written.
    public var location: SourceLocation?

    /// Creates a subscription.
    public init(
        name: String, events: Set<EventKind>, projects: [String] = [], environments: [String] = [],
        lockWait: Duration = .seconds(300), group: GroupCondition? = nil, destination: Destination,
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.events = events
        self.projects = projects
        self.environments = environments
        self.lockWait = lockWait
        self.group = group
        self.destination = destination
        self.location = location
    }

    /// Whether an event of this project and environment passes the filter.
    public func admits(project: String?, environment: String?) -> Bool {
        (projects.isEmpty || project.map(projects.contains) == true)
            && (environments.isEmpty || environment.map(environments.contains) == true)
    }

    /// Where a subscription's events go.
    public enum Destination: Sendable {
        /// One POST per event.
        case webhook(Webhook)
        /// One mail per event, or a digest.
        case email(Email)

        /// `webhook` or `email`, as the outbox records it.
        public var channel: String {
            switch self {
            case .webhook: "webhook"
            case .email: "email"
            }
        }
    }

    /// A webhook: the envelope as JSON (or a Lua formatter's body), signed with HMAC-SHA256.
    public struct Webhook: Sendable {
        /// Where to POST (may be a secret: chat webhooks carry their credential in the URL).
        public var url: SecretText
        /// The key the body is signed with.
        public var secret: SecretText?
        /// A plugin function that reshapes the body (`slack.message`).
        public var format: PluginReference?
        /// How often and how patiently to try.
        public var retry: RetryPolicy
        /// How long one attempt may take.
        public var timeout: Duration
        /// Extra request headers.
        public var headers: [String: String]

        /// Creates a webhook.
        public init(
            url: SecretText, secret: SecretText? = nil, format: PluginReference? = nil,
            retry: RetryPolicy = RetryPolicy(), timeout: Duration = .seconds(10), headers: [String: String] = [:]
        ) {
            self.url = url
            self.secret = secret
            self.format = format
            self.retry = retry
            self.timeout = timeout
            self.headers = headers
        }
    }

    /// Mail through the workspace's SMTP server.
    public struct Email: Sendable {
        /// The recipients.
        public var to: [String]
        /// A subject prefix (`[lander]` unless given).
        public var subjectPrefix: String
        /// When set, one mail per this period with every event in it, instead of one per event.
        public var digest: Duration?
        /// How often and how patiently to try.
        public var retry: RetryPolicy

        /// Creates an email destination.
        public init(
            to: [String], subjectPrefix: String = "[lander]", digest: Duration? = nil,
            retry: RetryPolicy = RetryPolicy()
        ) {
            self.to = to
            self.subjectPrefix = subjectPrefix
            self.digest = digest
            self.retry = retry
        }
    }
}

/// "When projects A, B and C have all reached version V (or one version, or one release wave) in an
/// environment": fires once for each version (or wave) that completes it.
public struct GroupCondition: Sendable {
    /// What the projects must have in common.
    public enum Version: Sendable, Equatable {
        /// This version, exactly.
        case exactly(String)
        /// Any version, as long as it is the same for all.
        case same
        /// Delivered by one parent deployment (a promotion of all).
        case wave
    }

    /// The projects.
    public var projects: [String]
    /// The environment they must have reached.
    public var environment: String
    /// What they must share.
    public var version: Version

    /// Creates a group condition.
    public init(projects: [String], environment: String, version: Version) {
        self.projects = projects
        self.environment = environment
        self.version = version
    }
}

/// How a delivery is retried: `attempts` in all, waiting `backoff` doubled each time (with jitter) up to
/// `maxBackoff`; after the last attempt it is dead-lettered.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, from 1.
    public var attempts: Int
    /// The first wait.
    public var backoff: Duration
    /// The longest wait.
    public var maxBackoff: Duration

    /// Creates a policy.
    public init(attempts: Int = 8, backoff: Duration = .seconds(2), maxBackoff: Duration = .seconds(600)) {
        self.attempts = attempts
        self.backoff = backoff
        self.maxBackoff = maxBackoff
    }

    /// The wait after failed attempt `attempt` (from 1), before jitter.
    public func delay(after attempt: Int) -> Duration {
        let doubled = backoff.seconds * Double(1 << min(max(attempt - 1, 0), 30))
        return .milliseconds(Int64(min(doubled, maxBackoff.seconds) * 1000))
    }
}

/// A value written in the file, or read from Lander's environment when used (`{ secret: NAME }`): secrets
/// never sit in the file or the store.
public enum SecretText: Sendable, Equatable {
    /// Written in the file.
    case literal(String)
    /// `$NAME` when used; masked wherever it could appear.
    case secret(String)

    /// The value, or nil when the variable is unset.
    public func resolve(_ environment: [String: String]) -> String? {
        switch self {
        case .literal(let text): text
        case .secret(let name): environment[name]
        }
    }

    /// What to mask: the value of a secret, nothing for a literal.
    public func secretValue(_ environment: [String: String]) -> String? {
        if case .secret(let name) = self { return environment[name] }
        return nil
    }

    /// How to name it in an error: a secret's variable, never its value.
    public var described: String {
        switch self {
        case .literal(let text): text
        case .secret(let name): "$\(name) (secret)"
        }
    }
}

/// The workspace's mail server.
public struct SMTPSettings: Sendable {
    /// How the connection is protected.
    public enum Security: String, Sendable, CaseIterable {
        /// Plain, then STARTTLS before anything else (refused if the server does not offer it).
        case starttls
        /// TLS from the first byte (port 465).
        case tls
        /// No TLS (a relay on loopback).
        case none
    }

    /// The server's host name.
    public var host: String
    /// Its port.
    public var port: Int
    /// How the connection is protected.
    public var security: Security
    /// The user for AUTH, when the server needs one.
    public var username: String?
    /// Its password.
    public var password: SecretText?
    /// The sender address.
    public var from: String
    /// A CA bundle the server's certificate must chain to, instead of the system's.
    public var caFile: String?
    /// How long a conversation may take.
    public var timeout: Duration

    /// Creates SMTP settings.
    public init(
        host: String, port: Int = 587, security: Security = .starttls, username: String? = nil,
        password: SecretText? = nil, from: String, caFile: String? = nil, timeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.from = from
        self.caFile = caFile
        self.timeout = timeout
    }
}
