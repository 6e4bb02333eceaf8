import Foundation
public import LanderModel

/// Every problem found while planning, each with file:line:column and a hint.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    public var diagnostics: [Diagnostic]

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Turns a project, an environment and a release into a plan, checking templates and their parameters.
public struct Planner: Sendable {
    /// The project to plan.
    public var project: Project
    /// The directory holding `lander.yml`.
    public var projectDirectory: String
    /// Lander's own environment (for `{ env: NAME }` and `{ secret: NAME }` variables).
    public var processEnvironment: [String: String]
    /// Where templates come from; nil skips template checks (tests of pure planning).
    public var scripts: (any ScriptHost)?
    /// When false (`lander validate`), unset `env:`/`secret:` variables are placeholders, not problems.
    public var requireSources = true
    /// When false (`lander validate` without `-e`), a role without targets in the environment is not a problem.
    public var requireRoles = true
    /// Values that replace the project's and environment's variables of the same name (a rollback's
    /// recorded snapshot); a value holding a masked secret is ignored, the secret is read again.
    public var variableOverrides: [String: ConfigValue] = [:]

    /// Creates a planner.
    public init(
        project: Project, projectDirectory: String, processEnvironment: [String: String],
        scripts: (any ScriptHost)?
    ) {
        self.project = project
        self.projectDirectory = projectDirectory
        self.processEnvironment = processEnvironment
        self.scripts = scripts
    }

    /// Plans a deployment of `release` to the environment named `environment`.
    public func plan(environment name: String, release: Release) async throws(PlanError) -> Plan {
        var problems = Problems()
        guard let environment = project.environment(named: name) else {
            let names = project.environments.map(\.name)
            throw PlanError(diagnostics: [
                Diagnostic(
                    "no environment '\(name)'", at: nil,
                    hint: names.isEmpty
                        ? "add environments: to lander.yml"
                        : "environments are: "
                            + names.joined(separator: ", "))
            ])
        }
        var secrets: [String] = []
        let projectVariables = sourced(project.variables, &problems, &secrets, at: nil)
        var environmentVariables = sourced(environment.variables, &problems, &secrets, at: environment.location)
        for (name, value) in variableOverrides where !value.holdsMask {
            if project.variables[name] != nil || environment.variables[name] != nil {
                environmentVariables[name] = value
            }
        }
        var roleVariables: [String: [String: ConfigValue]] = [:]
        for (role, variables) in environment.roleVariables {
            roleVariables[role] = sourced(variables, &problems, &secrets, at: environment.location)
        }
        var targetVariables: [String: [String: ConfigValue]] = [:]
        for target in environment.targets {
            targetVariables[target.name] = sourced(target.variables, &problems, &secrets, at: target.location)
        }
        var signatures: [String: TemplateSignature?] = [:]
        var steps: [PlannedStep] = []
        for step in project.steps {
            let stepVariables = sourced(step.variables, &problems, &secrets, at: step.location)
            var tasks: [PlannedTask] = []
            for task in step.tasks {
                if task.action.runsOnce {
                    let variables = projectVariables.merging(environmentVariables) { _, new in new }
                        .merging(stepVariables) { _, new in new }
                    tasks.append(
                        orchestratorTask(task, variables: variables, environment: name, release: release, &problems))
                    continue
                }
                let targets = environment.targets(withRole: task.role)
                if targets.isEmpty, requireRoles {
                    problems.add(
                        "environment '\(name)' has no targets with role '\(task.role)' (step '\(step.name)')",
                        at: task.location, hint: "add a target with roles: [\(task.role)] to environment '\(name)'")
                }
                var signature: TemplateSignature?
                if case .template(let template, _) = task.action {
                    if signatures[template] == nil {
                        signatures[template] = await loadSignature(template, task: task, &problems)
                    }
                    signature = signatures[template] ?? nil
                }
                var planned: [PlannedTarget] = []
                for target in targets {
                    var variables = projectVariables
                    variables.merge(environmentVariables) { _, new in new }
                    variables.merge(roleVariables[task.role] ?? [:]) { _, new in new }
                    variables.merge(targetVariables[target.name] ?? [:]) { _, new in new }
                    variables.merge(stepVariables) { _, new in new }
                    let root = rootOf(target)
                    let scope = ExpressionScope(
                        values: variables.merging(
                            builtins(target: target, root: root, environment: name, release: release)
                        ) { _, builtin in builtin })
                    guard
                        let entry = resolve(
                            task, signature: signature, target: target, root: root, variables: variables,
                            scope: scope, &problems)
                    else { continue }
                    planned.append(entry)
                }
                tasks.append(
                    PlannedTask(
                        name: task.name, role: task.role, action: task.action, options: task.options, targets: planned,
                        location: task.location))
            }
            if let policy = step.rolling {
                await check(policy, of: "step '\(step.name)'", at: step.location, &problems)
            }
            for task in step.tasks {
                if let policy = task.options.rolling {
                    await check(policy, of: "task '\(task.name)'", at: task.location, &problems)
                }
            }
            steps.append(
                PlannedStep(
                    name: step.name, tasks: tasks, lock: step.lock, rolling: step.rolling, milestone: step.milestone,
                    location: step.location))
        }
        let hooks = await hooks(&problems)
        let packages = packages(
            in: environment, release: release,
            variables: { target in
                var variables = projectVariables.merging(environmentVariables) { _, new in new }
                for role in target.roles { variables.merge(roleVariables[role] ?? [:]) { _, new in new } }
                return variables.merging(targetVariables[target.name] ?? [:]) { _, new in new }
            }, &problems)
        guard problems.diagnostics.isEmpty else { throw PlanError(diagnostics: problems.sorted) }
        var plan = Plan(
            project: project.name, environment: name, release: release, projectDirectory: projectDirectory,
            steps: steps, hooks: hooks,
            variables: projectVariables.merging(environmentVariables) { _, new in new }, secrets: Masker(secrets))
        plan.packages = packages
        return plan
    }

    /// Every plugin function a rolling policy names resolves (the drain plugin's `undrain` included).
    private func check(
        _ policy: RollingPolicy, of owner: String, at location: SourceLocation?, _ problems: inout Problems
    ) async {
        guard let scripts else { return }
        var bindings: [(RollingPoint, RollingBinding?)] = [
            (.precheck, policy.precheck), (.drain, policy.drain), (.verify, policy.verify),
            (.verifyFleet, policy.verifyFleet), (.stopTarget, policy.stopTarget),
            (.onTargetFailed, policy.onTargetFailed),
        ]
        if let drain = policy.drain {
            bindings.append((.undrain, RollingBinding(reference: drain.plugin.sibling("undrain"))))
        }
        for case (let point, let binding?) in bindings {
            guard let problem = await scripts.problem(withReference: binding.reference, point: point.rawValue) else {
                continue
            }
            problems.add(
                "rolling \(point.rawValue) of \(owner): \(binding.reference): \(problem)", at: location,
                hint: "name a plugin on the plugin path (http-status, haproxy, version-check, …) or none")
        }
    }

    /// The project's hooks, then those of plugins in `use:` at every point they declare.
    private func hooks(_ problems: inout Problems) async -> [HookBinding] {
        var bindings = project.hooks
        for use in project.uses {
            guard let scripts else { break }
            do {
                let points = try await scripts.declaredHooks(ofPlugin: use.plugin)
                if points.isEmpty {
                    problems.add(
                        "plugin '\(use.plugin)' in use: declares no hooks", at: use.location,
                        hint: "its module must return lander.plugin { hooks = { post_deploy = …, … } }")
                }
                for point in points {
                    bindings.append(
                        HookBinding(
                            point: point, reference: use.plugin, critical: point.criticalByDefault, with: use.with,
                            location: use.location))
                }
            } catch {
                problems.add("plugin '\(use.plugin)' in use: \(error.message)", at: use.location, hint: nil)
            }
        }
        if let scripts {
            for binding in project.hooks {
                guard let problem = await scripts.problem(with: binding) else { continue }
                problems.add(
                    "\(binding.point.rawValue) hook \(binding.reference): \(problem)", at: binding.location,
                    hint:
                        "hooks are module.function from the plugin path, or a plugin declaring lander.plugin { hooks = … }"
                )
            }
        }
        return bindings
    }

    private func loadSignature(_ template: String, task: StepTask, _ problems: inout Problems) async
        -> TemplateSignature?
    {
        guard let scripts else { return nil }
        do {
            return try await scripts.signature(ofTemplate: template)
        } catch {
            let available = scripts.availableTemplates()
            let notFound = error.message.contains("not found")
            problems.add(
                notFound ? "unknown template '\(template)' in task '\(task.name)'" : error.message,
                at: task.location,
                hint: notFound
                    ? Suggestion.hint(for: template, in: available, listing: "templates on the plugin path are")
                    : "fix the template's file")
            return nil
        }
    }

    private func resolve(
        _ task: StepTask, signature: TemplateSignature?, target: Target, root: String, variables: [String: ConfigValue],
        scope: ExpressionScope, _ problems: inout Problems
    ) -> PlannedTarget? {
        do throws(ExpressionError) {
            var env: [String: String] = [:]
            for (key, value) in task.options.env { env[key] = try Expression.resolve(value, in: scope) }
            let work: PlannedTarget.Work
            switch task.action {
            case .run(let argv):
                var resolved: [String] = []
                for word in argv { resolved.append(try Expression.resolve(word, in: scope)) }
                work = .run(resolved)
            case .template(let template, let with):
                var parameters: [String: ConfigValue] = [:]
                for (key, value) in with { parameters[key] = try Expression.resolve(value, in: scope) }
                if let signature {
                    guard let checked = check(parameters, against: signature, task: task, &problems) else { return nil }
                    parameters = checked
                }
                work = .template(template, parameters: parameters)
            case .deploy(let request):
                work = .deploy(request)
            case .waitFor(let request):
                work = .waitFor(request)
            }
            return PlannedTarget(
                name: target.name, roles: target.roles, transport: target.transport, root: root, variables: variables,
                work: work, env: env)
        } catch {
            problems.add(
                "\(error) (task '\(task.name)')", at: task.location, hint: nil)
            return nil
        }
    }

    /// Checks parameters against a template's declaration and fills in defaults.
    private func check(
        _ given: [String: ConfigValue], against signature: TemplateSignature, task: StepTask, _ problems: inout Problems
    ) -> [String: ConfigValue]? {
        var result = given
        var ok = true
        let declared = signature.parameters.keys.sorted()
        for (key, value) in given.sorted(by: { $0.key < $1.key }) {
            guard let parameter = signature.parameters[key] else {
                problems.add(
                    "unknown parameter '\(key)' for template '\(signature.name)' in task '\(task.name)'",
                    at: task.location,
                    hint: declared.isEmpty
                        ? "it takes no parameters"
                        : Suggestion.hint(for: key, in: declared, listing: "its parameters are"))
                ok = false
                continue
            }
            if !parameter.type.accepts(value), !isDeferred(value) {
                problems.add(
                    "parameter '\(key)' of template '\(signature.name)' must be \(parameter.type.article), "
                        + "found \(value.typeName) in task '\(task.name)'",
                    at: task.location, hint: "declared in \(signature.file)")
                ok = false
            }
        }
        for key in declared where given[key] == nil {
            guard let parameter = signature.parameters[key] else { continue }
            if let value = parameter.defaultValue {
                result[key] = value
            } else if parameter.required {
                problems.add(
                    "missing required parameter '\(key)' (\(parameter.type.rawValue)) of template '\(signature.name)' "
                        + "in task '\(task.name)'",
                    at: task.location, hint: "add it under with:")
                ok = false
            }
        }
        return ok ? result : nil
    }

    /// A parameter that reads an output is checked when it runs.
    private func isDeferred(_ value: ConfigValue) -> Bool {
        if case .string(let text) = value { return text.contains("{{output") }
        return false
    }

    /// A local root is made absolute under the project directory; a remote one stays as written.
    func rootOf(_ target: Target) -> String {
        switch target.transport {
        case .local(let root): absolute(root)
        case .ssh(_, let root), .agent(_, let root): root
        }
    }

    private func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : projectDirectory + "/" + path
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }

    func builtins(target: Target, root: String, environment: String, release: Release) -> [String: ConfigValue] {
        Plan.builtins(
            project: project.name, environment: environment, release: release, target: target.name, root: root,
            roles: target.roles)
    }

    /// Resolves `{ env: NAME }` and `{ secret: NAME }` variables from Lander's environment.
    private func sourced(
        _ variables: [String: ConfigValue], _ problems: inout Problems, _ secrets: inout [String],
        at location: SourceLocation?
    ) -> [String: ConfigValue] {
        var result = variables
        for (key, value) in variables {
            guard case .map(let map) = value, map.count == 1, let (kind, source) = map.first,
                kind == "env" || kind == "secret", case .string(let name) = source
            else { continue }
            guard let found = processEnvironment[name] else {
                if !requireSources {
                    result[key] = .string("<\(kind) \(name)>")
                    continue
                }
                problems.add(
                    "variable '\(key)' reads \(kind) \(name), which is not set", at: location,
                    hint: "export \(name) before running lander")
                continue
            }
            if kind == "secret" { secrets.append(found) }
            result[key] = .string(found)
        }
        return result
    }
}

extension ParameterType {
    /// `an integer`, `a string`…
    var article: String { (self == .integer ? "an " : "a ") + rawValue }
}

/// Diagnostics collected while planning, reported once each.
struct Problems {
    private(set) var diagnostics: [Diagnostic] = []
    private var seen: Set<String> = []

    mutating func add(_ message: String, at location: SourceLocation?, hint: String?) {
        let diagnostic = Diagnostic(message, at: location, hint: hint)
        if seen.insert(diagnostic.description).inserted { diagnostics.append(diagnostic) }
    }

    var sorted: [Diagnostic] {
        diagnostics.sorted {
            ($0.location?.line ?? 0, $0.location?.column ?? 0) < ($1.location?.line ?? 0, $1.location?.column ?? 0)
        }
    }
}

extension ConfigValue {
    /// The value with every secret in its strings masked.
    public func masked(by masker: Masker) -> ConfigValue {
        switch self {
        case .string(let text): .string(masker.mask(text))
        case .list(let items): .list(items.map { $0.masked(by: masker) })
        case .map(let entries): .map(entries.mapValues { $0.masked(by: masker) })
        default: self
        }
    }

    /// Whether a masked secret (`••••••`) is somewhere in it.
    public var holdsMask: Bool {
        switch self {
        case .string(let text): text.contains("••••••")
        case .list(let items): items.contains { $0.holdsMask }
        case .map(let entries): entries.values.contains { $0.holdsMask }
        default: false
        }
    }
}
