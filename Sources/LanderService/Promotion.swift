import Foundation
import LanderEngine
public import LanderModel
import LanderStore
import Synchronization

/// `lander promote`: every project of a workspace (or those named) deployed to one environment with the
/// release it last deployed successfully to another, in waves ordered by `requires:`.
public struct Promotion: Sendable {
    /// One project's part.
    public struct Entry: Sendable, Codable {
        /// The project.
        public var project: String
        /// The wave it is in (from 1); projects of a wave run in parallel.
        public var wave: Int
        /// The version it takes from the source environment (nil: it has none there).
        public var version: String?
        /// `planned` (a dry run), `succeeded`, `failed`, `cancelled` or `skipped`.
        public var outcome: String
        /// The deployment, once started.
        public var deployment: String?
        /// Why it failed or was skipped.
        public var detail: String?
    }

    /// The environment releases come from.
    public var from: String
    /// The environment they go to.
    public var to: String
    /// Every project's part, in wave order.
    public var entries: [Entry]
    /// The projects each one requires (its `requires:`), read once when planning.
    public var requires: [String: [String]] = [:]
    /// The package versions each project's release in `from` has.
    public var packages: [String: [String: String]] = [:]

    /// Creates a promotion's description (a server's answer read back).
    public init(
        from: String, to: String, entries: [Entry], requires: [String: [String]] = [:],
        packages: [String: [String: String]] = [:]
    ) {
        (self.from, self.to, self.entries, self.requires, self.packages) = (from, to, entries, requires, packages)
    }

    /// Whether every project that had a release to promote went (or would, in a dry run).
    public var succeeded: Bool {
        entries.allSatisfy {
            ["succeeded", "planned"].contains($0.outcome) || ($0.outcome == "skipped" && $0.version == nil)
        }
    }
}

extension Deployer {
    /// Plans a promotion: each project's release in `from`, and its wave (`requires:` among the projects
    /// promoted go first). A requirement cycle cannot reach here (the workspace refuses to load).
    public func planPromotion(in workspace: Workspace, from: String, to: String, projects: [String] = [])
        throws(ServiceError) -> Promotion
    {
        let names = projects.isEmpty ? workspace.members.map(\.name) : projects
        for name in names where workspace.member(named: name) == nil {
            throw ServiceError(
                .invalidRequest,
                "no project '\(name)' in the workspace; "
                    + Suggestion.hint(for: name, in: workspace.members.map(\.name), listing: "its projects are"))
        }
        let store = try openStore(forProjectIn: workspace.root)
        var requires: [String: [String]] = [:]
        var packages: [String: [String: String]] = [:]
        var entries: [Promotion.Entry] = []
        for name in names {
            guard let member = workspace.member(named: name) else { continue }
            let loaded = try LoadedProject.load(.file(member.file))
            requires[name] = loaded.project.requires.map(\.project)
            let current: DeploymentRecord?
            do {
                current = try store.current(project: name, environment: from)
            } catch {
                throw ServiceError(.refused, "\(error)")
            }
            packages[name] = Dictionary((current?.packages ?? []).map { ($0.id, $0.version) }) { $1 }
            entries.append(
                Promotion.Entry(
                    project: name, wave: 0, version: current?.version, outcome: current == nil ? "skipped" : "planned",
                    detail: current == nil ? "never deployed successfully to \(from)" : nil))
        }
        var wave: [String: Int] = [:]
        func depth(_ name: String, _ seen: Set<String>) -> Int {
            if let known = wave[name] { return known }
            let below = (requires[name] ?? []).filter { names.contains($0) && !seen.contains($0) }.map {
                depth($0, seen.union([name]))
            }
            let value = (below.max() ?? 0) + 1
            wave[name] = value
            return value
        }
        for index in entries.indices { entries[index].wave = depth(entries[index].project, []) }
        entries.sort { ($0.wave, $0.project) < ($1.wave, $1.project) }
        return Promotion(from: from, to: to, entries: entries, requires: requires, packages: packages)
    }

    /// Runs a planned promotion: wave after wave, at most `parallel` projects at once; a project that fails
    /// stops only the projects that require it. `progress` hears one line per step each deployment starts
    /// and ends.
    public func promote(
        _ planned: Promotion, in workspace: Workspace, parallel: Int = 4, requester: Requester = .here,
        progress: @escaping @Sendable (String) -> Void
    ) async -> Promotion {
        let result = PromotionState(planned)
        let waves = Set(planned.entries.map(\.wave)).sorted()
        for wave in waves {
            let indices = planned.entries.indices.filter { planned.entries[$0].wave == wave }
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for index in indices {
                    if running >= max(1, parallel) {
                        await group.next()
                        running -= 1
                    }
                    running += 1
                    group.addTask {
                        let entry = result.state.withLock { $0.entries[index] }
                        let outcome = await self.promoteOne(
                            entry, in: workspace, promotion: result, requester: requester, progress: progress)
                        result.state.withLock { $0.entries[index] = outcome }
                    }
                }
            }
        }
        return result.state.withLock { $0 }
    }

    private func promoteOne(
        _ entry: Promotion.Entry, in workspace: Workspace, promotion: PromotionState, requester: Requester,
        progress: @escaping @Sendable (String) -> Void
    ) async -> Promotion.Entry {
        var entry = entry
        guard entry.outcome == "planned", let version = entry.version,
            let member = workspace.member(named: entry.project)
        else { return entry }
        let (to, packages, needed) = promotion.state.withLock {
            ($0.to, $0.packages[entry.project] ?? [:], Set($0.requires[entry.project] ?? []))
        }
        // What failed, was cancelled, or was skipped for a failure stops its dependants; a project with
        // nothing to promote does not (the requirement check sees what the target environment runs).
        let failedNeeds = promotion.state.withLock { state in
            state.entries.filter { other in
                needed.contains(other.project)
                    && (other.outcome == "failed" || other.outcome == "cancelled"
                        || (other.outcome == "skipped" && other.deployment == nil && other.version != nil))
            }.map(\.project)
        }
        if !failedNeeds.isEmpty {
            return Self.ended(entry, "skipped", "requires \(failedNeeds.joined(separator: ", ")), which did not go")
        }
        do {
            let handle = try await deploy(
                DeploymentRequest(
                    project: .file(member.file), environment: to, version: .version(version), packages: packages,
                    requester: requester),
                observer: ChildProgress(project: entry.project, progress: progress))
            entry.deployment = handle.id
            let report = try await withTaskCancellationHandler {
                try await handle.report()
            } onCancel: {
                handle.cancel()
            }
            entry.outcome = report.outcome.rawValue
            entry.detail = report.error
        } catch {
            return Self.ended(entry, "failed", "\(error)")
        }
        return entry
    }

    private static func ended(_ entry: Promotion.Entry, _ outcome: String, _ detail: String) -> Promotion.Entry {
        var entry = entry
        entry.outcome = outcome
        entry.detail = detail
        return entry
    }
}

/// A promotion as it goes, shared by the deployments of a wave.
final class PromotionState: Sendable {
    let state: Mutex<Promotion>
    init(_ promotion: Promotion) { state = Mutex(promotion) }
}
