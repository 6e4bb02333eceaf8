import Foundation
public import LanderModel
import Yams

/// Turns `lander.yml` into a `Project`, reporting every problem at once with file:line:column.
public enum ProjectLoader {
    static let projectKeys = [
        "project", "plugins", "use", "variables", "environments", "hooks", "steps", "packages",
    ]
    static let environmentKeys = ["variables", "roles", "targets", "ssh", "acquisition", "mirror"]
    static let targetKeys = ["transport", "root", "roles", "variables", "ssh", "acquisition", "mirror"]
    static let sshKeys = ["host", "user", "port", "identity", "jump", "config", "options", "host_key_checking"]
    static let optionKeys = [
        "halt_on_error", "wait_for_finish", "continue_on_error", "timeout", "retries", "retry_backoff", "when", "env",
        "parallelism",
    ]
    static let actionKeys = ["on", "run", "template", "with"]
    static let lockKeys = ["lock", "semaphore"]
    static let stepKeys = ["name", "step", "tasks", "variables", "rolling"] + actionKeys + optionKeys + lockKeys
    static let taskKeys = ["name", "rolling"] + actionKeys + optionKeys + lockKeys
    static let shellHint = "commands are argv lists, never shell strings: write run: [echo, hello]"

    /// Loads a project file from disk.
    public static func load(file path: String) throws(LoadingError) -> Project {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadingError([
                Diagnostic("cannot read \(path)", at: nil, hint: "run lander in the project's directory or pass --file")
            ])
        }
        return try load(yaml: String(decoding: data, as: UTF8.self), file: path)
    }

    /// Loads a project from YAML text; `file` names it in diagnostics.
    public static func load(yaml: String, file: String) throws(LoadingError) -> Project {
        var reader = NodeReader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw LoadingError([YAMLSyntax.diagnostic(error, yaml: yaml, file: file)])
        } catch {
            throw LoadingError([Diagnostic("\(error)", at: SourceLocation(file: file, line: 1, column: 1))])
        }
        guard let root else {
            throw LoadingError([
                Diagnostic(
                    "the project file is empty", at: SourceLocation(file: file, line: 1, column: 1),
                    hint: "start with project: NAME")
            ])
        }
        var project = Project(name: "")
        var nameSeen = false
        for (key, node, _) in reader.mapping(root, in: "the project file", allowed: projectKeys) ?? [] {
            switch key {
            case "project":
                nameSeen = true
                project.name = reader.string(node, "project") ?? ""
            case "plugins": project.plugins = reader.strings(node, "plugins") ?? []
            case "variables": project.variables = reader.variables(node, in: "the project")
            case "environments": project.environments = environments(node, &reader)
            case "hooks": project.hooks = hooks(node, &reader)
            case "use": project.uses = uses(node, &reader)
            case "steps": project.steps = steps(node, &reader)
            case "packages": project.packages = PackageLoader.packages(node, &reader)
            default: break
            }
        }
        if !nameSeen {
            reader.report("missing key 'project'", at: root, hint: "name the project: project: checkout")
        }
        for diagnostic in ProjectChecks.run(project) { reader.report(diagnostic) }
        guard reader.diagnostics.isEmpty else {
            throw LoadingError(
                reader.diagnostics.sorted {
                    ($0.location?.line ?? 0, $0.location?.column ?? 0) < (
                        $1.location?.line ?? 0, $1.location?.column ?? 0
                    )
                }, partial: project)
        }
        return project
    }

    // MARK: Environments

    private static func environments(_ node: Node, _ reader: inout NodeReader) -> [Environment] {
        reader.named(node, in: "environments").map { name, node, keyNode in
            var environment = Environment(name: name, location: reader.location(keyNode))
            let pairs = reader.mapping(node, in: "environment '\(name)'", allowed: environmentKeys) ?? []
            // ssh: defaults first, whatever their place in the file: targets build on them.
            var sshDefaults: SSHEndpoint?
            for (key, value, _) in pairs where key == "ssh" {
                sshDefaults = ssh(value, defaults: nil, context: "ssh defaults of environment '\(name)'", &reader)
            }
            for (key, value, _) in pairs {
                switch key {
                case "variables": environment.variables = reader.variables(value, in: "environment '\(name)'")
                case "acquisition", "mirror":
                    PackageLoader.policy(key, value, in: "environment '\(name)'", &environment.acquisition, &reader)
                case "roles":
                    for (role, roleNode, _) in reader.named(value, in: "roles of environment '\(name)'") {
                        for (roleKey, variables, _) in reader.mapping(
                            roleNode, in: "role '\(role)'", allowed: ["variables"]) ?? []
                        where roleKey == "variables" {
                            environment.roleVariables[role] = reader.variables(variables, in: "role '\(role)'")
                        }
                    }
                case "targets":
                    environment.targets = reader.named(value, in: "targets of environment '\(name)'").flatMap {
                        targets(
                            named: $0.key, $0.node, keyNode: $0.keyNode, environment: name, ssh: sshDefaults, &reader)
                    }
                default: break
                }
            }
            return environment
        }
    }

    /// One target entry; `app-[01:03]` expands to app-01…app-03, with `{n}` replaced in its root.
    private static func targets(
        named pattern: String, _ node: Node, keyNode: Node, environment: String, ssh defaults: SSHEndpoint?,
        _ reader: inout NodeReader
    ) -> [Target] {
        var roles: [String] = []
        var root: String?
        var transport: String?
        var variables: [String: ConfigValue] = [:]
        var endpoint: SSHEndpoint?
        var acquisition = AcquisitionPolicy()
        for (key, value, _) in reader.mapping(node, in: "target '\(pattern)'", allowed: targetKeys) ?? [] {
            switch key {
            case "acquisition", "mirror":
                PackageLoader.policy(key, value, in: "target '\(pattern)'", &acquisition, &reader)
            case "ssh": endpoint = ssh(value, defaults: defaults, context: "ssh of target '\(pattern)'", &reader)
            case "roles": roles = reader.strings(value, "roles of target '\(pattern)'") ?? []
            case "root": root = reader.string(value, "root of target '\(pattern)'")
            case "transport": transport = reader.string(value, "transport of target '\(pattern)'") ?? transport
            case "variables": variables = reader.variables(value, in: "target '\(pattern)'")
            default: break
            }
        }
        let kind = transport ?? (endpoint == nil ? "local" : "ssh")
        guard kind == "local" || kind == "ssh" else {
            reader.report(
                "unknown transport '\(kind)' for target '\(pattern)'", at: node, hint: "transports are: local, ssh")
            return []
        }
        if kind == "ssh", endpoint == nil {
            reader.report(
                "target '\(pattern)' uses transport ssh but has no ssh:", at: keyNode,
                hint: "add ssh: user@host[:port] (or ssh: { host: …, user: … })")
            return []
        }
        if roles.isEmpty { reader.report("target '\(pattern)' has no roles", at: keyNode, hint: "add roles: [app]") }
        let location = reader.location(keyNode)
        return expand(pattern).map { name, number in
            func fill(_ text: String) -> String {
                text.replacingOccurrences(of: "{n}", with: number ?? "").replacingOccurrences(of: "{name}", with: name)
            }
            let transport: Transport
            if var endpoint, kind == "ssh" {
                endpoint.destination = fill(endpoint.destination)
                transport = .ssh(endpoint, root: fill(root ?? ".lander/\(environment)"))
            } else {
                transport = .local(root: fill(root ?? ".lander/targets/\(environment)/{name}"))
            }
            var target = Target(
                name: name, transport: transport, roles: roles, variables: variables, location: location)
            target.acquisition = acquisition
            return target
        }
    }

    /// `ssh: user@host[:port]` or `ssh: { host, user, port, identity, jump, config, options, host_key_checking }`.
    private static func ssh(_ node: Node, defaults: SSHEndpoint?, context: String, _ reader: inout NodeReader)
        -> SSHEndpoint?
    {
        var endpoint = defaults ?? SSHEndpoint(destination: "")
        if let text = node.scalar?.string {
            var destination = text
            if let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) {
                destination = String(text[..<colon])
                endpoint.port = port
            }
            endpoint.destination = destination
            return endpoint
        }
        for (key, value, _) in reader.mapping(node, in: context, allowed: sshKeys) ?? [] {
            switch key {
            case "host": endpoint.destination = reader.string(value, "host of \(context)") ?? ""
            case "user": endpoint.user = reader.string(value, "user of \(context)")
            case "port": endpoint.port = reader.integer(value, "port of \(context)", atLeast: 1)
            case "identity": endpoint.identity = reader.string(value, "identity of \(context)")
            case "jump": endpoint.jump = reader.string(value, "jump of \(context)")
            case "config": endpoint.configFile = reader.string(value, "config of \(context)")
            case "options":
                for (name, option, _) in reader.named(value, in: "options of \(context)") {
                    endpoint.options[name] = reader.string(option, "option \(name) of \(context)")
                }
            case "host_key_checking":
                let mode = reader.string(value, "host_key_checking of \(context)") ?? "yes"
                if mode == "yes" || mode == "accept-new" {
                    endpoint.hostKeyChecking = mode
                } else {
                    reader.report(
                        "host_key_checking must be yes or accept-new, found '\(mode)'", at: value,
                        hint: "Lander never turns host key checking off")
                }
            default: break
            }
        }
        return endpoint
    }

    static func expand(_ pattern: String) -> [(name: String, number: String?)] {
        guard let open = pattern.firstIndex(of: "["), let close = pattern[open...].firstIndex(of: "]") else {
            return [(pattern, nil)]
        }
        let range = pattern[pattern.index(after: open)..<close].split(separator: ":")
        guard range.count == 2, let low = Int(range[0]), let high = Int(range[1]), low <= high, high - low < 10_000
        else {
            return [(pattern, nil)]
        }
        let width = range[0].count
        return (low...high).map { number in
            var digits = String(number)
            if digits.count < width { digits = String(repeating: "0", count: width - digits.count) + digits }
            return (String(pattern[..<open]) + digits + String(pattern[pattern.index(after: close)...]), digits)
        }
    }

    // MARK: Hooks

    /// `use: [audit, { plugin: notify, with: { … } }]`.
    private static func uses(_ node: Node, _ reader: inout NodeReader) -> [PluginUse] {
        guard let list = node.sequence else {
            reader.report("use: must be a list of plugin names", at: node, hint: "use: [audit-log]")
            return []
        }
        var uses: [PluginUse] = []
        for entry in list {
            if let name = entry.scalar?.string {
                uses.append(PluginUse(plugin: name, location: reader.location(entry)))
                continue
            }
            var use = PluginUse(plugin: "", location: reader.location(entry))
            for (key, value, _) in reader.mapping(entry, in: "use:", allowed: ["plugin", "with"]) ?? [] {
                switch key {
                case "plugin": use.plugin = reader.string(value, "plugin") ?? ""
                case "with": if case .map(let map) = reader.value(value) { use.with = map }
                default: break
                }
            }
            if use.plugin.isEmpty {
                reader.report(
                    "an entry of use: has no plugin:", at: entry, hint: "e.g. { plugin: notify, with: { … } }")
            } else {
                uses.append(use)
            }
        }
        return uses
    }

    private static func hooks(_ node: Node, _ reader: inout NodeReader) -> [HookBinding] {
        let points = HookPoint.allCases.map(\.rawValue)
        var bindings: [HookBinding] = []
        for (name, list, keyNode) in reader.named(node, in: "hooks") {
            guard let point = HookPoint(rawValue: name) else {
                reader.report(
                    "unknown hook point '\(name)'", at: keyNode,
                    hint: Suggestion.hint(for: name, in: points, listing: "hook points are"))
                continue
            }
            for entry in list.sequence.map(Array.init) ?? [list] {
                if let reference = entry.scalar?.string {
                    bindings.append(
                        HookBinding(
                            point: point, reference: reference, critical: point.criticalByDefault,
                            location: reader.location(entry)))
                    continue
                }
                var binding = HookBinding(
                    point: point, reference: "", critical: point.criticalByDefault, location: reader.location(entry))
                for (key, value, _) in reader.mapping(
                    entry, in: "hook of \(name)", allowed: ["hook", "critical", "with"]) ?? []
                {
                    switch key {
                    case "hook": binding.reference = reader.string(value, "hook") ?? ""
                    case "critical": binding.critical = reader.bool(value, "critical") ?? binding.critical
                    case "with": if case .map(let map) = reader.value(value) { binding.with = map }
                    default: break
                    }
                }
                if binding.reference.isEmpty {
                    reader.report("a hook of \(name) has no 'hook:' name", at: entry, hint: "e.g. hook: notify.webhook")
                }
                bindings.append(binding)
            }
        }
        return bindings
    }

    // MARK: Steps

    private static func steps(_ node: Node, _ reader: inout NodeReader) -> [Step] {
        guard let sequence = node.sequence else {
            reader.report(
                "steps must be a list, found \(reader.kind(of: node))", at: node, hint: "write each step as '- name: …'"
            )
            return []
        }
        return sequence.enumerated().compactMap { index, stepNode in step(stepNode, index: index, &reader) }
    }

    private static func step(_ node: Node, index: Int, _ reader: inout NodeReader) -> Step? {
        let context = "step \(index + 1)"
        guard let pairs = reader.mapping(node, in: context, allowed: stepKeys) else { return nil }
        let fields = Dictionary(pairs.map { ($0.key, $0.node) }, uniquingKeysWith: { first, _ in first })
        guard let name = (fields["name"] ?? fields["step"]).flatMap({ reader.string($0, "name of \(context)") }) else {
            reader.report("\(context) has no name", at: node, hint: "add name: stage")
            return nil
        }
        var step = Step(name: name, tasks: [], location: reader.location(node))
        if let variables = fields["variables"] { step.variables = reader.variables(variables, in: "step '\(name)'") }
        step.lock = lock(fields, node: node, in: "step '\(name)'", &reader)
        if let rolling = fields["rolling"] {
            step.rolling = RollingLoader.policy(rolling, in: "step '\(name)'", &reader)
        }
        let defaults = options(fields, in: "step '\(name)'", base: TaskOptions(), &reader)
        if let tasks = fields["tasks"] {
            if fields["run"] != nil || fields["template"] != nil {
                reader.report(
                    "step '\(name)' has both tasks: and run:/template:", at: node, hint: "move the command into a task")
            }
            guard let list = tasks.sequence else {
                reader.report("tasks of step '\(name)' must be a list", at: tasks)
                return step
            }
            for (position, taskNode) in list.enumerated() {
                if let template = taskNode.scalar?.string {
                    guard let role = fields["on"].flatMap({ reader.string($0, "on") }) else {
                        reader.report(
                            "task '\(template)' of step '\(name)' needs a role", at: taskNode,
                            hint: "add on: ROLE to the step")
                        continue
                    }
                    step.tasks.append(
                        StepTask(
                            name: template, role: role, action: .template(template, with: [:]), options: defaults,
                            location: reader.location(taskNode)))
                } else if let task = task(
                    taskNode, step: name, position: position, inherited: fields, defaults: defaults, &reader)
                {
                    step.tasks.append(task)
                }
            }
            if list.isEmpty { reader.report("step '\(name)' has no tasks", at: tasks) }
        } else if let task = action(
            fields, node: node, name: name, context: "step '\(name)'", options: defaults, &reader)
        {
            step.tasks.append(task)
        }
        if let lock = step.lock {
            for task in step.tasks where task.options.lock?.name == lock.name {
                reader.report(
                    "task '\(task.name)' takes lock '\(lock.name)', which its step already holds: it would wait for "
                        + "itself", at: node, hint: "drop the task's lock:, or the step's")
            }
        }
        return step
    }

    private static func task(
        _ node: Node, step: String, position: Int, inherited: [String: Node], defaults: TaskOptions,
        _ reader: inout NodeReader
    ) -> StepTask? {
        let context = "task \(position + 1) of step '\(step)'"
        guard let pairs = reader.mapping(node, in: context, allowed: taskKeys) else { return nil }
        var fields = Dictionary(pairs.map { ($0.key, $0.node) }, uniquingKeysWith: { first, _ in first })
        if fields["on"] == nil, let role = inherited["on"] { fields["on"] = role }
        let name = fields["name"].flatMap { reader.string($0, "name of \(context)") } ?? "\(step)#\(position + 1)"
        var options = options(fields, in: context, base: defaults, &reader)
        options.lock = lock(fields, node: node, in: context, &reader)
        if let rolling = fields["rolling"] {
            if inherited["rolling"] != nil {
                reader.report(
                    "\(context) has rolling:, but its step already rolls all its tasks", at: rolling,
                    hint: "keep rolling: on the step, or move it onto the tasks that roll")
            }
            options.rolling = RollingLoader.policy(rolling, in: context, &reader)
        }
        return action(fields, node: node, name: name, context: context, options: options, &reader)
    }

    /// `lock: NAME` or `semaphore: {name: NAME, limit: N}`.
    private static func lock(_ fields: [String: Node], node: Node, in context: String, _ reader: inout NodeReader)
        -> LockRequest?
    {
        switch (fields["lock"], fields["semaphore"]) {
        case (let lock?, nil):
            return reader.string(lock, "lock of \(context)").map { LockRequest(name: $0) }
        case (nil, let semaphore?):
            guard let pairs = reader.mapping(semaphore, in: "semaphore of \(context)", allowed: ["name", "limit"])
            else { return nil }
            let fields = Dictionary(pairs.map { ($0.key, $0.node) }, uniquingKeysWith: { first, _ in first })
            guard let name = fields["name"].flatMap({ reader.string($0, "name of the semaphore of \(context)") }),
                let limit = fields["limit"].flatMap({
                    reader.integer($0, "limit of the semaphore of \(context)", atLeast: 1)
                })
            else {
                reader.report(
                    "the semaphore of \(context) needs a name and a limit", at: semaphore,
                    hint: "write semaphore: { name: api-pool, limit: 2 }")
                return nil
            }
            return LockRequest(name: name, limit: limit)
        case (.some, .some):
            reader.report(
                "\(context) has both lock: and semaphore:", at: node,
                hint: "a lock is a semaphore with limit 1; keep one")
            return nil
        case (nil, nil):
            return nil
        }
    }

    private static func action(
        _ fields: [String: Node], node: Node, name: String, context: String, options: TaskOptions,
        _ reader: inout NodeReader
    ) -> StepTask? {
        guard let roleNode = fields["on"] else {
            reader.report("\(context) has no role", at: node, hint: "add on: ROLE (steps name roles, never hosts)")
            return nil
        }
        guard let role = reader.string(roleNode, "on") else { return nil }
        switch (fields["run"], fields["template"]) {
        case (let run?, nil):
            if fields["with"] != nil { reader.report("with: goes with template:, not run:", at: fields["with"]) }
            guard let argv = reader.strings(run, "run of \(context)", shellHint: shellHint) else { return nil }
            guard !argv.isEmpty else {
                reader.report("run of \(context) is empty", at: run, hint: "give the program and its arguments")
                return nil
            }
            return StepTask(
                name: name, role: role, action: .run(argv), options: options, location: reader.location(node))
        case (nil, let template?):
            guard let templateName = reader.string(template, "template of \(context)") else { return nil }
            var with: [String: ConfigValue] = [:]
            if let withNode = fields["with"] {
                guard case .map(let map) = reader.value(withNode) else {
                    reader.report("with: of \(context) must be a map of parameters", at: withNode)
                    return nil
                }
                with = map
            }
            return StepTask(
                name: name, role: role, action: .template(templateName, with: with), options: options,
                location: reader.location(node))
        case (.some, .some):
            reader.report("\(context) has both run: and template:", at: node, hint: "a task does one of them")
            return nil
        case (nil, nil):
            reader.report("\(context) has nothing to do", at: node, hint: "add run: [program, args…] or template: NAME")
            return nil
        }
    }

    private static func options(
        _ fields: [String: Node], in context: String, base: TaskOptions, _ reader: inout NodeReader
    ) -> TaskOptions {
        var options = base
        for (key, node) in fields where optionKeys.contains(key) {
            switch key {
            case "halt_on_error":
                options.haltOnError = reader.bool(node, "halt_on_error of \(context)") ?? options.haltOnError
            case "wait_for_finish":
                options.waitForFinish = reader.bool(node, "wait_for_finish of \(context)") ?? options.waitForFinish
            case "continue_on_error":
                options.continueOnError =
                    reader.bool(node, "continue_on_error of \(context)") ?? options.continueOnError
            case "timeout": options.timeout = reader.duration(node, "timeout of \(context)")
            case "retries":
                options.retries = reader.integer(node, "retries of \(context)", atLeast: 0) ?? options.retries
            case "retry_backoff":
                options.retryBackoff = reader.duration(node, "retry_backoff of \(context)") ?? options.retryBackoff
            case "parallelism": options.parallelism = reader.integer(node, "parallelism of \(context)", atLeast: 1)
            case "when":
                let text = reader.string(node, "when of \(context)") ?? "success"
                if let condition = RunCondition(rawValue: text) {
                    options.when = condition
                } else {
                    reader.report(
                        "unknown when: '\(text)' in \(context)", at: node, hint: "use success, failure or always")
                }
            case "env":
                for (name, value, _) in reader.named(node, in: "env of \(context)") {
                    options.env[name] = reader.string(value, "env \(name) of \(context)")
                }
            default: break
            }
        }
        return options
    }
}
