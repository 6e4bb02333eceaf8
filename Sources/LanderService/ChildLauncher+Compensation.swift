import LanderEngine
import LanderModel
import LanderStore

extension ChildLauncher {
    /// Puts back, newest first, the release each compensable child replaced: a deployment of kind
    /// `compensation`, linked to the failed parent, with the earlier release's version and packages.
    func compensate(progress: @escaping @Sendable (String) -> Void) async -> [String] {
        var problems: [String] = []
        for entry in changed.withLock({ $0 }).reversed() {
            guard let before = entry.before else {
                problems.append(
                    "cannot compensate \(entry.project): it ran nothing in \(entry.environment) before deployment "
                        + "\(entry.child); it stays on what that deployment delivered")
                continue
            }
            progress("compensating: \(entry.project) back to \(before.version) in \(entry.environment)")
            var request = DeploymentRequest(
                project: entry.reference, environment: entry.environment, version: .version(before.version),
                packages: Dictionary(before.packages.map { ($0.id, $0.version) }) { $1 })
            request.requester.channel = .parent(deployment: parent)
            request.kind = "compensation"
            request.note = "compensation for \(parent): back to \(before.version) (before \(entry.child))"
            request.ignoreRequirements = true
            do {
                let handle = try await deployer.deploy(
                    request, observer: ChildProgress(project: entry.project, progress: progress))
                let report = try await handle.report()
                if report.outcome != .succeeded {
                    problems.append(
                        "compensating \(entry.project) (deployment \(handle.id)) \(report.outcome.rawValue): "
                            + (report.error ?? "no error given"))
                }
            } catch {
                problems.append("cannot compensate \(entry.project): \(error)")
            }
        }
        return problems
    }
}
