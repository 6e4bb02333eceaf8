import Foundation
public import LanderModel

extension Planner {
    /// Things that work but should be done another way: today, a secret variable passed as a command
    /// argument (visible in the target's process list while the step runs), which belongs in `env:`.
    public func warnings() -> [Diagnostic] {
        var secretNames: Set<String> = []
        func collect(_ variables: [String: ConfigValue]) {
            for (key, value) in variables {
                if case .map(let map) = value, map.count == 1, map["secret"] != nil { secretNames.insert(key) }
            }
        }
        collect(project.variables)
        for environment in project.environments {
            collect(environment.variables)
            for variables in environment.roleVariables.values { collect(variables) }
            for target in environment.targets { collect(target.variables) }
        }
        for step in project.steps { collect(step.variables) }
        guard !secretNames.isEmpty else { return [] }
        var warnings: [Diagnostic] = []
        for step in project.steps {
            for task in step.tasks {
                guard case .run(let argv) = task.action else { continue }
                let named = argv.flatMap(Self.variablesNamed).filter(secretNames.contains)
                for name in Set(named).sorted() {
                    warnings.append(
                        Diagnostic(
                            "warning: secret '\(name)' is a command argument of task '\(task.name)' (step "
                                + "'\(step.name)'): anyone on the target who lists processes sees it while the step runs",
                            at: task.location,
                            hint: "pass it in the environment instead: env: { \(name.uppercased()): \"{{\(name)}}\" }"))
                }
            }
        }
        return warnings
    }

    /// The variables the `{{…}}` expressions in a text start with (`{{vars.token}}`, `{{token.key}}` → token).
    static func variablesNamed(in text: String) -> [String] {
        Expression.expressions(in: text).compactMap { expression in
            var name = expression[...]
            if name.hasPrefix("vars.") { name = name.dropFirst(5) }
            let head = name.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            return head.isEmpty ? nil : String(head)
        }
    }
}
