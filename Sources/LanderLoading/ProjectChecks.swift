import LanderModel

/// Checks that need the whole project: duplicate steps, unknown roles, outputs read too early.
enum ProjectChecks {
    static func run(_ project: Project) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let roles = project.roles.sorted()
        var stepsSoFar: [String: Step] = [:]
        for step in project.steps {
            if let earlier = stepsSoFar[step.name] {
                diagnostics.append(
                    Diagnostic(
                        "duplicate step name '\(step.name)'", at: step.location,
                        hint: "the first is at line \(earlier.location?.line ?? 0); step names must be unique"))
            }
            for task in step.tasks {
                let once = task.action.runsOnce
                if !project.environments.isEmpty, !once, !roles.contains(task.role) {
                    diagnostics.append(
                        Diagnostic(
                            "unknown role '\(task.role)' in step '\(step.name)'", at: task.location,
                            hint: Suggestion.hint(for: task.role, in: roles, listing: "roles in the environments are")))
                }
                for reference in outputReferences(in: task) {
                    guard let source = stepsSoFar[reference] else {
                        let later = project.steps.contains { $0.name == reference }
                        diagnostics.append(
                            Diagnostic(
                                "step '\(step.name)' reads output of step '\(reference)' "
                                    + (later ? "before that step runs" : "but no step has that name"),
                                at: task.location, hint: later ? "outputs flow to later steps only" : nil))
                        continue
                    }
                    let shared = source.tasks.contains { $0.action.runsOnce }
                    if !shared, !source.tasks.contains(where: { $0.role == task.role }) {
                        diagnostics.append(
                            Diagnostic(
                                "step '\(step.name)' on role '\(task.role)' reads output of step '\(reference)', which runs on "
                                    + "role \(source.tasks.map { "'\($0.role)'" }.joined(separator: ", "))",
                                at: task.location, hint: "outputs stay on the target that set them"))
                    }
                }
            }
            stepsSoFar[step.name] = stepsSoFar[step.name] ?? step
        }
        return diagnostics + jobs(of: project, roles: roles) + calls(in: project)
    }

    /// `lander-call NAME` in a task's command naming no job, or one the task's role may not ask for.
    static func calls(in project: Project) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let names = project.jobs.map(\.name).sorted()
        for step in project.steps {
            for task in step.tasks {
                guard case .run(let argv) = task.action else { continue }
                for name in calledJobs(argv) {
                    guard let job = project.job(named: name) else {
                        diagnostics.append(
                            Diagnostic(
                                "step '\(step.name)' runs lander-call \(name), but no job has that name",
                                at: task.location,
                                hint: names.isEmpty
                                    ? "declare it under jobs: with callers: [\(task.role)]"
                                    : Suggestion.hint(for: name, in: names, listing: "jobs are")))
                        continue
                    }
                    if !job.callers.contains(task.role) {
                        diagnostics.append(
                            Diagnostic(
                                "step '\(step.name)' on role '\(task.role)' runs lander-call \(name), which role "
                                    + "'\(task.role)' may not ask for", at: task.location,
                                hint: "add \(task.role) to the callers: of job '\(name)'"))
                    }
                }
            }
        }
        return diagnostics
    }

    /// The jobs an argv asks for: `[lander-call, NAME, …]`, or `lander-call NAME` inside a shell line.
    static func calledJobs(_ argv: [String]) -> [String] {
        if let first = argv.first, first == "lander-call" || first.hasSuffix("/lander-call") {
            return argv.dropFirst().first { !$0.hasPrefix("-") && !$0.contains("{{") }.map { [$0] } ?? []
        }
        var found: [String] = []
        for word in argv {
            var rest = Substring(word)
            while let range = rest.range(of: #"lander-call\s+[A-Za-z0-9._-]+"#, options: .regularExpression) {
                let name = rest[range].split(whereSeparator: \.isWhitespace).last.map(String.init) ?? ""
                if !name.hasPrefix("-") { found.append(name) }
                rest = rest[range.upperBound...]
            }
        }
        return found
    }

    /// Jobs: names usable in a URL, callers and task roles the environments define.
    static func jobs(of project: Project, roles: [String]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for job in project.jobs {
            if job.name.isEmpty
                || !job.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
            {
                diagnostics.append(
                    Diagnostic(
                        "job name '\(job.name)' is not a plain word", at: job.location,
                        hint: "use letters, digits, '-', '_' and '.': targets ask for it by name (lander-call NAME)"))
            }
            guard !project.environments.isEmpty else { continue }
            for role in job.callers where !roles.contains(role) {
                diagnostics.append(
                    Diagnostic(
                        "job '\(job.name)' names unknown caller role '\(role)'", at: job.location,
                        hint: Suggestion.hint(for: role, in: roles, listing: "roles in the environments are")))
            }
            guard case .steps(let steps) = job.work else { continue }
            for step in steps {
                for task in step.tasks where !task.action.runsOnce && !roles.contains(task.role) {
                    diagnostics.append(
                        Diagnostic(
                            "unknown role '\(task.role)' in step '\(step.name)' of job '\(job.name)'",
                            at: task.location,
                            hint: Suggestion.hint(for: task.role, in: roles, listing: "roles in the environments are")))
                }
            }
        }
        return diagnostics
    }

    /// Step names read through `{{output.STEP.…}}` in a task's argv and env.
    static func outputReferences(in task: StepTask) -> [String] {
        var texts = Array(task.options.env.values)
        if case .run(let argv) = task.action { texts += argv }
        return texts.flatMap { text in
            text.split(separator: "{{", omittingEmptySubsequences: false).dropFirst().compactMap { part in
                let expression = part.prefix { $0 != "}" }.trimmingCharacters(in: .whitespaces)
                let components = expression.split(separator: ".")
                guard components.count >= 3, components[0] == "output" || components[0] == "outputs" else { return nil }
                return String(components[1])
            }
        }
    }
}
