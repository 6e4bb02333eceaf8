import Foundation
import LanderModel
import Yams

extension ProjectLoader {
    // MARK: Hooks

    /// `use: [audit, { plugin: notify, with: { … } }]`.
    static func uses(_ node: Node, _ reader: inout NodeReader) -> [PluginUse] {
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

    static func hooks(_ node: Node, _ reader: inout NodeReader) -> [HookBinding] {
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

    static func steps(_ node: Node, _ reader: inout NodeReader) -> [Step] {
        guard let sequence = node.sequence else {
            reader.report(
                "steps must be a list, found \(reader.kind(of: node))", at: node, hint: "write each step as '- name: …'"
            )
            return []
        }
        return sequence.enumerated().compactMap { index, stepNode in step(stepNode, index: index, &reader) }
    }

    static func step(_ node: Node, index: Int, _ reader: inout NodeReader) -> Step? {
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
        step.milestone = fields["milestone"].flatMap { reader.string($0, "milestone of step '\(name)'") }
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

    static func task(
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
    static func lock(_ fields: [String: Node], node: Node, in context: String, _ reader: inout NodeReader)
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

    static func action(
        _ fields: [String: Node], node: Node, name: String, context: String, options: TaskOptions,
        _ reader: inout NodeReader
    ) -> StepTask? {
        if fields["wait_for"] != nil {
            return waitTask(fields, node: node, name: name, context: context, options: options, &reader)
        }
        if fields["deploy"] != nil {
            return deployTask(fields, node: node, name: name, context: context, options: options, &reader)
        }
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

    static func options(
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
