import Foundation
public import LanderModel

/// Which project a request is about: a lander.yml, or a member of a workspace by name.
public enum ProjectReference: Sendable, Hashable {
    /// A project file (relative paths are taken from the current directory).
    case file(String)
    /// The member of the workspace (its `lander-workspace.yml`) whose `project:` is this name.
    case member(String, workspace: String)
}

/// Who asked for a deployment, and from where.
public struct Requester: Sendable, Hashable {
    /// How the request arrived.
    public enum Channel: Sendable, Hashable {
        /// A person at the command line.
        case commandLine
        /// A deployment that starts and awaits another one.
        case parent(deployment: String)
    }

    /// The user name.
    public var user: String
    /// The machine the request came from.
    public var host: String
    /// How it arrived.
    public var channel: Channel

    /// The user running this process, on this machine, at the command line.
    public static var here: Requester {
        let environment = ProcessInfo.processInfo.environment
        return Requester(
            user: environment["USER"] ?? environment["LOGNAME"] ?? "unknown",
            host: ProcessInfo.processInfo.hostName, channel: .commandLine)
    }

    /// Creates a requester.
    public init(user: String, host: String, channel: Channel) {
        self.user = user
        self.host = host
        self.channel = channel
    }
}

/// What a deployment delivers: a version (packages resolved now) or a recorded release.
public enum VersionChoice: Sendable, Hashable {
    /// This version; packages at the versions asked for, else at this version.
    case version(String)
    /// A release `lander release create` recorded, with its exact packages.
    case release(String)
}

/// Everything needed to plan or start one deployment.
public struct DeploymentRequest: Sendable {
    /// The project.
    public var project: ProjectReference
    /// The environment to deploy to.
    public var environment: String
    /// The version or release.
    public var version: VersionChoice
    /// Package versions by package id (`latest` resolves now); with `.release`, must be empty.
    public var packages: [String: String]
    /// Values replacing the project's and environment's variables (a rollback's recorded snapshot).
    public var variableOverrides: [String: ConfigValue]
    /// Plugin directories searched before the project's own.
    public var plugins: [String]
    /// Who asked.
    public var requester: Requester
    /// While another deployment of the project and environment runs: wait (true) or refuse at once.
    public var wait: Bool
    /// Deploy even when `requires:` is not met (what was not met goes into the record).
    public var ignoreRequirements = false
    /// What the record calls it: `deploy`, or `compensation` when a failed parent puts back a release.
    public var kind = "deploy"
    /// A note for the record (why it was started).
    public var note: String?
    /// Whether it takes the project lock; a phone-home job does not: it is part of the deployment holding it.
    var takesProjectLock = true
    /// The id to record it under (a server gives it when the request is queued); nil: a new one.
    public var id: String?

    /// Creates a request.
    public init(
        project: ProjectReference, environment: String, version: VersionChoice, packages: [String: String] = [:],
        variableOverrides: [String: ConfigValue] = [:], plugins: [String] = [], requester: Requester = .here,
        wait: Bool = true
    ) {
        self.project = project
        self.environment = environment
        self.version = version
        self.packages = packages
        self.variableOverrides = variableOverrides
        self.plugins = plugins
        self.requester = requester
        self.wait = wait
    }

    /// The deployment that asked for this one, when a parent did.
    public var parent: String? {
        if case .parent(let deployment) = requester.channel { deployment } else { nil }
    }
}
