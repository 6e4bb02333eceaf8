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
        return diagnostics + jobs(of: project, roles: roles)
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
