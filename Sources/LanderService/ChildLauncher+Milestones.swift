import Foundation
import LanderEngine
import LanderModel
import LanderStore

extension ChildLauncher {
    /// Watches the store (shared by every `lander` of the workspace) for the other project's milestone:
    /// polls with a backoff from 100 ms to 1 s, so a wait of a minute costs a few hundred small reads.
    func waitFor(
        _ request: MilestoneWait, environment: String, progress: @escaping @Sendable (String) -> Void,
        waiting: @escaping @Sendable (String) -> Void
    ) async throws -> MilestoneResult {
        let loaded = try LoadedProject.load(try reference(request.project))
        let store = try deployer.openStore(for: loaded)
        let name = loaded.project.name
        func result(_ state: MilestoneResult.State) -> MilestoneResult {
            MilestoneResult(project: name, milestone: request.milestone, state: state)
        }
        guard let running = try store.running(project: name, environment: environment) else {
            return result(.notRunning)
        }
        if try store.reached(request.milestone, in: running.id) {
            return result(.reached(deployment: running.id, waited: false))
        }
        progress("waiting for \(name) deployment \(running.id) to reach '\(request.milestone)' in \(environment)")
        waiting("\(name) deployment \(running.id) to reach '\(request.milestone)'")
        var delay = Duration.milliseconds(100)
        while true {
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(1))
            if try store.reached(request.milestone, in: running.id) {
                return result(.reached(deployment: running.id, waited: true))
            }
            let now = try store.deployment(running.id)
            guard now.status == "running" else {
                // It ended: one last look, as its final events may have landed with its end.
                if try store.reached(request.milestone, in: running.id) {
                    return result(.reached(deployment: running.id, waited: true))
                }
                let outcome = DeploymentOutcome(rawValue: now.status) ?? .failed
                return result(
                    .ended(deployment: running.id, outcome: outcome, error: now.error ?? "it was \(now.status)"))
            }
        }
    }
}
