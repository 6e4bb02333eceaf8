import LanderModel

extension Planner {
    /// The release's packages, each with the targets of its roles (their variables for substitution, built-ins
    /// included, and how they get packages).
    func packages(
        in environment: Environment, release: Release, variables scoped: (Target) -> [String: ConfigValue],
        _ problems: inout Problems
    ) -> [PlannedPackage] {
        var packages: [PlannedPackage] = []
        for spec in project.packages {
            guard let package = release.packages.first(where: { $0.id == spec.id }) else {
                problems.add(
                    "package '\(spec.id)' has no version in release \(release.version)", at: spec.location,
                    hint: "pass --package \(spec.id)=VERSION, or create the release with it")
                continue
            }
            let receivers = environment.targets.filter { target in
                spec.roles.isEmpty || target.roles.contains { spec.roles.contains($0) }
            }
            let targets = receivers.map { target in
                let root = rootOf(target)
                let variables = scoped(target).merging(
                    builtins(target: target, root: root, environment: environment.name, release: release)
                ) { _, builtin in builtin }
                var planned = PlannedTarget(
                    name: target.name, roles: target.roles, transport: target.transport, root: root,
                    variables: variables, work: .run([]), env: [:])
                planned.acquisition = target.acquisition.over(environment.acquisition)
                return planned
            }
            packages.append(PlannedPackage(package: package, spec: spec, targets: targets))
        }
        return packages
    }
}
