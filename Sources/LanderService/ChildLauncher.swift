import Foundation
import LanderEngine
import LanderModel
import LanderStore
import Synchronization

/// The service's side of `ChildDeployments`: a child is a deployment like any other, started through the
/// deployer (its lock, its record, linked to its parent) and awaited; cancelling the parent's wait cancels
/// the child. A child's project is a member of the parent's workspace by name, or a lander.yml path.
final class ChildLauncher: ChildDeployments {
    let deployer: Deployer
    let parent: String
    /// The parent's project folder (a child's lander.yml path is relative to it).
    let directory: String
    /// The parent's workspace, which names the children.
    let workspace: Workspace?
    private let unwaited = Mutex<[DeploymentHandle]>([])
    /// Children asked with `compensate` that changed their environment, oldest first, with what ran before.
    let changed = Mutex<[Compensable]>([])

    /// A child that changed its environment, and what ran there before it.
    struct Compensable: Sendable {
        var reference: ProjectReference
        var project: String
        var environment: String
        var child: String
        var before: DeploymentRecord?
    }

    init(deployer: Deployer, parent: String, directory: String, workspace: Workspace?) {
        self.deployer = deployer
        self.parent = parent
        self.directory = directory
        self.workspace = workspace
    }

    func deployAndWait(_ request: ChildDeploymentRequest, progress: @escaping @Sendable (String) -> Void)
        async throws -> ChildDeploymentResult
    {
        let reference = try reference(request.project)
        let loaded = try LoadedProject.load(reference)
        let store = try deployer.openStore(for: loaded)
        let name = loaded.project.name
        let current = try store.current(project: name, environment: request.environment)
        let (choice, packages, version) = try await source(request, project: name, store: store)
        if let reason = try Self.skip(request.when, version: version, current: current?.version) {
            return ChildDeploymentResult(
                id: nil, status: .skipped, outcome: .succeeded, error: nil, version: current?.version, reason: reason)
        }
        var requester = Requester.here
        requester.channel = .parent(deployment: parent)
        let handle = try await deployer.deploy(
            DeploymentRequest(
                project: reference, environment: request.environment, version: choice, packages: packages,
                requester: requester),
            loaded: loaded, observer: ChildProgress(project: name, progress: progress))
        guard request.wait else {
            unwaited.withLock { $0.append(handle) }
            return ChildDeploymentResult(
                id: handle.id, status: .started, outcome: .succeeded, error: nil, version: handle.plan.release.version)
        }
        let report = try await withTaskCancellationHandler {
            try await handle.report()
        } onCancel: {
            handle.cancel()
        }
        if request.compensate, report.outcome == .succeeded {
            let entry = Compensable(
                reference: reference, project: name, environment: request.environment, child: handle.id,
                before: current)
            changed.withLock { $0.append(entry) }
        }
        return ChildDeploymentResult(
            id: handle.id, outcome: report.outcome, error: report.error, version: handle.plan.release.version)
    }

    /// Waits for the children started without `wait`.
    func awaitUnwaited() async {
        for handle in unwaited.withLock({ $0 }) { _ = try? await handle.report() }
    }

    /// A member's name in the parent's workspace, or a path to a lander.yml.
    func reference(_ project: String) throws(ServiceError) -> ProjectReference {
        if project.hasSuffix(".yml") || project.hasSuffix(".yaml") {
            return .file(project.hasPrefix("/") ? project : directory + "/" + project)
        }
        guard let workspace else {
            throw ServiceError(
                .invalidRequest,
                "'\(project)' names a project of a workspace, but \(directory) is in none; add a \(Workspace.fileName) "
                    + "listing both projects, or give the other project's lander.yml path")
        }
        return .member(project, workspace: workspace.file)
    }

    /// What to deploy: the version (and packages) the request's source names.
    func source(_ request: ChildDeploymentRequest, project: String, store: StateStore)
        async throws -> (VersionChoice, [String: String], String)
    {
        switch request.source {
        case .version(let version): return (.version(version), [:], version)
        case .release(let release): return (.release(release), [:], release)
        case .from(let environment):
            guard let record = try store.current(project: project, environment: environment) else {
                throw ServiceError(
                    .refused,
                    "\(project) was never deployed successfully to \(environment), so there is no release to take "
                        + "from it; deploy it there first, or give version:")
            }
            let packages = Dictionary(record.packages.map { ($0.id, $0.version) }) { $1 }
            return (.version(record.version), packages, record.version)
        }
    }

    /// Why `when:` says not to deploy `version` over `current` (nil: deploy).
    static func skip(_ when: ProjectDeployment.Condition, version: String, current: String?) throws(ServiceError)
        -> String?
    {
        switch when {
        case .always: return nil
        case .notDeployed:
            return current.map { "already deployed there (\($0)); when: not_deployed" }
        case .notCurrent:
            return current == version ? "\(version) is already the current release; when: not_current" : nil
        case .higher:
            guard let current else { return nil }
            guard let wanted = SemanticVersion(version), let running = SemanticVersion(current) else {
                throw ServiceError(
                    .invalidRequest,
                    "when: higher compares versions, but '\(version)' or '\(current)' is no version like 1.2.3")
            }
            return wanted > running ? nil : "\(current) runs there, not lower than \(version); when: higher"
        }
    }
}

/// Tells the parent of each step its child starts and ends, and how the child ended.
struct ChildProgress: DeploymentObserver {
    let project: String
    let progress: @Sendable (String) -> Void

    func started(_ handle: DeploymentHandle) {
        progress("\(project): deployment \(handle.id) of \(handle.plan.release.version) started")
    }

    func observe(_ envelope: EventEnvelope) {
        switch envelope.event {
        case .stepStarted(let step, _, _): progress("\(project): step '\(step)' started")
        case .stepFinished(let step, let succeeded, _, let cancelled):
            progress("\(project): step '\(step)' " + (cancelled ? "cancelled" : succeeded ? "succeeded" : "failed"))
        case .deploymentFinished(let outcome, _, let error):
            progress("\(project): \(outcome.rawValue)" + (error.map { ": \($0)" } ?? ""))
        default: break
        }
    }
}
