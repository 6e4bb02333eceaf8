import LanderModel
import LanderStore

extension Deployer {
    /// Checks `requires:` against what the request's environment runs: refuses (naming the range, the
    /// version found and what to do) unless the request ignores requirements; then returns what was not
    /// met, for the record.
    func checkRequirements(_ project: Project, _ request: DeploymentRequest, store: StateStore)
        throws(ServiceError) -> [String]
    {
        var unmet: [(requirement: Requirement, found: DeploymentRecord?)] = []
        for requirement in project.requires {
            let current: DeploymentRecord?
            do {
                current = try store.current(project: requirement.project, environment: request.environment)
            } catch {
                throw ServiceError(.refused, "\(error)")
            }
            if let current, requirement.range.contains(current.version) { continue }
            unmet.append((requirement, current))
        }
        let described = unmet.map { requirement, found in
            "\(requirement.project) \(requirement.range) is required in \(request.environment), but "
                + (found.map { "\(requirement.project) \($0.version) runs there (deployment \($0.id))" }
                    ?? "\(requirement.project) was never deployed there")
        }
        guard let first = unmet.first, !request.ignoreRequirements else { return described }
        let location = first.requirement.location.map { "\($0.file):\($0.line): " } ?? ""
        throw ServiceError(
            .refused,
            "\(location)" + described.joined(separator: "; ")
                + "; deploy \(first.requirement.project) \(first.requirement.range) to \(request.environment) first, "
                + "or pass --ignore-requirements (it is recorded); nothing was deployed")
    }
}
