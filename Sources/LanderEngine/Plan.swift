public import LanderModel

/// What a deployment will do: steps × tasks × targets, with everything resolved that can be before running.
public struct Plan: Sendable {
    /// The project's name.
    public var project: String
    /// The environment deployed to.
    public var environment: String
    /// The release deployed.
    public var release: Release
    /// The directory `lander.yml` is in; relative roots and hook files are under it.
    public var projectDirectory: String
    /// The steps, in order.
    public var steps: [PlannedStep]
    /// Hooks bound to lifecycle points, in the order they run.
    public var hooks: [HookBinding]
    /// Variables visible to hooks (project scope overlaid with the environment's).
    public var variables: [String: ConfigValue]
    /// Secret values to mask wherever output shows them.
    public var secrets: Masker
    /// Packages distributed before the steps run.
    public var packages: [PlannedPackage] = []

    /// The values every expression can name besides variables: `release.version`, `environment.name`,
    /// `project.name`, `target.name`, `target.root`, `target.roles`.
    public static func builtins(
        project: String, environment: String, release: Release, target: String, root: String, roles: [String]
    ) -> [String: ConfigValue] {
        [
            "release": .map(["version": .string(release.version)]),
            "environment": .map(["name": .string(environment)]),
            "project": .map(["name": .string(project)]),
            "target": .map([
                "name": .string(target), "root": .string(root), "roles": .list(roles.map(ConfigValue.string)),
            ]),
        ]
    }

    /// The built-in values for one of its targets.
    func builtins(for target: PlannedTarget) -> [String: ConfigValue] {
        Self.builtins(
            project: project, environment: environment, release: release, target: target.name, root: target.root,
            roles: target.roles)
    }

    /// The `LANDER_*` variables every command and script of a deployment sees on a target during a step.
    func landerEnvironment(_ target: PlannedTarget, step: String, deployment: String) -> [String: String] {
        [
            "LANDER_PROJECT": project, "LANDER_ENVIRONMENT": environment, "LANDER_RELEASE": release.version,
            "LANDER_TARGET": target.name, "LANDER_ROOT": target.root, "LANDER_STEP": step,
            "LANDER_DEPLOYMENT": deployment,
        ]
    }

    /// Whether a step or task of it rolls through its targets.
    public var rolls: Bool {
        steps.contains { $0.rolling != nil || $0.tasks.contains { $0.options.rolling != nil } }
    }

    /// Every target that takes part, once, in environment order.
    public var targets: [PlannedTarget] {
        var seen: Set<String> = []
        return steps.flatMap { $0.tasks.flatMap(\.targets) }.filter {
            $0.name != Planner.orchestrator && seen.insert($0.name).inserted
        }
    }
}

/// The version a deployment delivers.
public struct Release: Sendable, Hashable {
    /// The version, e.g. `1.4.2`.
    public var version: String
    /// The exact package versions it deploys, with their hashes.
    public var packages: [ResolvedPackage]

    /// Creates a release.
    public init(version: String, packages: [ResolvedPackage] = []) {
        self.version = version
        self.packages = packages
    }
}

/// A package of the plan: its exact version, how it unpacks, and the targets that receive it.
public struct PlannedPackage: Sendable {
    /// The package at its exact version.
    public var package: ResolvedPackage
    /// How it unpacks and where it lands.
    public var spec: PackageSpec
    /// The targets that receive it (variables resolved for substitution, acquisition decided).
    public var targets: [PlannedTarget]
}

/// A step of the plan.
public struct PlannedStep: Sendable {
    /// The step's name.
    public var name: String
    /// Its tasks, started together.
    public var tasks: [PlannedTask]
    /// The lock it holds while its tasks run.
    public var lock: LockRequest? = nil
    /// How it rolls through its targets, when it does.
    public var rolling: RollingPolicy? = nil
    /// The milestone its success reaches, besides `step:NAME`.
    public var milestone: String? = nil
    /// Where it is declared.
    public var location: SourceLocation?
}

/// A task of the plan, with the targets it runs on.
public struct PlannedTask: Sendable {
    /// The task's name.
    public var name: String
    /// The role it runs on.
    public var role: String
    /// What it does (template parameters and argv still hold per-target expressions until `targets`).
    public var action: StepTask.Action
    /// How it runs and fails.
    public var options: TaskOptions
    /// One entry per target of the role, with the action resolved for it.
    public var targets: [PlannedTarget]
    /// Where it is declared.
    public var location: SourceLocation?
}

/// One target of a task: the target and what runs there.
public struct PlannedTarget: Sendable {
    /// The target's name.
    public var name: String
    /// Its roles.
    public var roles: [String]
    /// How it is reached.
    public var transport: Transport
    /// Its root directory (absolute for local targets; as written, under the login's home, for SSH ones).
    public var root: String
    /// Its variables after scoping (project < environment < role < target < step).
    public var variables: [String: ConfigValue]
    /// The work, resolved for this target (output references resolve when it runs).
    public var work: Work
    /// The task's environment variables, resolved for this target.
    public var env: [String: String]
    /// How it gets packages (its own setting over its environment's).
    public var acquisition = AcquisitionPolicy()

    /// Whether it is this machine (a local target), where a process can be looked for directly.
    public var isLocal: Bool { if case .local = transport { true } else { false } }

    /// The work of one task on one target.
    public enum Work: Sendable {
        /// A command line.
        case run([String])
        /// A template with its validated parameters.
        case template(String, parameters: [String: ConfigValue])
        /// Another project deployed (on the orchestrator, `Planner.orchestrator`).
        case deploy(ProjectDeployment)
        /// A wait for another project's milestone (on the orchestrator).
        case waitFor(MilestoneWait)

        /// Whether it runs on the target itself (a command or a template), not on the orchestrator.
        public var runsOnTarget: Bool {
            switch self {
            case .run, .template: true
            case .deploy, .waitFor: false
            }
        }
    }
}
