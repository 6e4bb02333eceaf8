import Foundation
import LanderEngine
import LanderModel
import LanderStore

extension Deployer {
    /// Opens phone home for a deployment whose targets may ask for jobs: the endpoint served (once per
    /// process), a token per calling target, its session on the desk. Nil when no target may call, or when
    /// this process serves no endpoint (then a warning says so).
    func openCalls(
        _ plan: Plan, loaded: LoadedProject, store: StateStore, id: String, children: ChildLauncher,
        record: @escaping @Sendable (DeploymentEvent) -> Void, warn: @escaping @Sendable (DeploymentEvent) -> Void
    ) async -> CallbackAccess? {
        let project = loaded.project
        let callers = plan.targets.filter { !project.jobs(callableBy: $0.roles).isEmpty }
        guard !callers.isEmpty else { return nil }
        guard let listener else {
            warn(
                .log(
                    level: .warn, message: "this process serves no phone-home endpoint: lander-call will not work",
                    target: nil))
            return nil
        }
        let port: Int
        do {
            port = try await listener.serve(desk)
        } catch {
            warn(.log(level: .error, message: "cannot serve the phone-home endpoint: \(error)", target: nil))
            return nil
        }
        let session = CallDesk.Session(
            deployment: id, project: plan.project, environment: plan.environment,
            jobs: Dictionary(project.jobs.map { ($0.name, $0) }) { first, _ in first }, store: store, record: record
        ) { job, variables, target, call in
            await children.runJob(
                job, variables: variables, target: target, call: call, parent: loaded, plan: plan
            ) { line in record(.log(level: .info, message: line, target: target)) }
        }
        do {
            let tokens = try desk.open(
                session, targets: callers.map { ($0.name, $0.roles) }, callable: project.jobs(callableBy:))
            return CallbackAccess(port: port, tokens: tokens)
        } catch {
            warn(.log(level: .error, message: error.description, target: nil))
            return nil
        }
    }
}
