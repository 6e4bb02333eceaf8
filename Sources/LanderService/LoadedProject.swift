import Foundation
public import LanderEngine
import LanderLoading
public import LanderLua
public import LanderModel
import LanderPackages

/// A plan with the warnings planning found (things that work but should be done another way).
public struct PlannedRelease: Sendable {
    /// The plan.
    public var plan: Plan
    /// Warnings with file:line:column (a secret passed as a command argument…).
    public var warnings: [Diagnostic]
}

/// A project file loaded with its plugin path: what planning and deploying start from.
public struct LoadedProject: Sendable {
    /// The project.
    public var project: Project
    /// The project file, absolute.
    public var file: String
    /// The directory holding it.
    public var directory: String
    /// Plugin directories searched before the project's own, absolute.
    public var plugins: [String]
    /// Where templates and hooks come from: the flags, the project's `plugins:`, the workspace's, then the
    /// standard places.
    public var scripts: LuaScriptHost
    /// The workspace the project is a member of.
    public var workspace: Workspace?

    /// Loads a project; every problem of the file comes back at once.
    public static func load(_ reference: ProjectReference, plugins: [String] = []) throws(ServiceError)
        -> LoadedProject
    {
        let path: String
        // The workspace is read once (every member's lander.yml with it), here, and kept with the project.
        var workspace: Workspace?
        switch reference {
        case .file(let file):
            path = file
            workspace = try Deployer.workspace(
                forProjectIn: URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().path)
        case .member(let name, let workspaceFile):
            let found = try Deployer.loadWorkspace(workspaceFile)
            guard let member = found.member(named: name) else {
                throw ServiceError(
                    .invalidRequest,
                    "no project '\(name)' in the workspace \(workspaceFile); "
                        + Suggestion.hint(for: name, in: found.members.map(\.name), listing: "its projects are"))
            }
            path = member.file
            workspace = found
        }
        let project: Project
        do {
            project = try ProjectLoader.load(file: path)
        } catch {
            throw ServiceError(
                .invalidProject, "\(path) has \(error.diagnostics.count) problem(s); nothing was deployed",
                diagnostics: error.diagnostics)
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let directory = url.deletingLastPathComponent().path
        let flags = plugins.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        return LoadedProject(
            project: project, file: url.path, directory: directory, plugins: flags,
            scripts: scripts(for: project, in: directory, plugins: plugins, workspace: workspace),
            workspace: workspace)
    }

    /// The script host of a project in `directory`: `plugins` first, the project's `plugins:` (relative to its
    /// directory), its workspace's `plugins:`, then the standard places.
    public static func scripts(
        for project: Project, in directory: String, plugins: [String], workspace: Workspace? = nil
    ) -> LuaScriptHost {
        let projectPlugins = project.plugins.map { $0.hasPrefix("/") ? $0 : directory + "/" + $0 }
        return LuaScriptHost(
            pluginPath: .standard(flags: plugins, project: projectPlugins + (workspace?.plugins ?? [])))
    }

    /// The project's packages resolved against their feeds: `wanted` by id, else `releaseVersion`.
    public func resolvePackages(_ wanted: [String: String], releaseVersion: String) async throws(ServiceError)
        -> [ResolvedPackage]
    {
        for id in wanted.keys.sorted() where !project.packages.contains(where: { $0.id == id }) {
            let known = project.packages.map(\.id).joined(separator: ", ")
            throw ServiceError(
                .invalidProject,
                "--package \(id)=\(wanted[id] ?? ""): lander.yml declares no package '\(id)'"
                    + (known.isEmpty ? "" : " (it declares: \(known))"))
        }
        var resolved: [ResolvedPackage] = []
        for spec in project.packages {
            let feed = Feed(spec.feed, projectDirectory: directory)
            do {
                resolved.append(try await feed.resolve(spec.id, version: wanted[spec.id] ?? releaseVersion))
            } catch {
                throw ServiceError(
                    .invalidProject,
                    "\(error); cannot resolve the packages of \(project.name) \(releaseVersion), nothing was deployed")
            }
        }
        return resolved
    }

    /// Plans a release to an environment; every problem comes back at once.
    public func plan(
        environment: String, version: String, packages: [ResolvedPackage] = [],
        overrides: [String: ConfigValue] = [:]
    ) async throws(ServiceError) -> PlannedRelease {
        var planner = Planner(
            project: project, projectDirectory: directory, processEnvironment: ProcessInfo.processInfo.environment,
            scripts: scripts)
        planner.variableOverrides = overrides
        do {
            let plan = try await planner.plan(
                environment: environment, release: Release(version: version, packages: packages))
            return PlannedRelease(plan: plan, warnings: planner.warnings())
        } catch {
            throw ServiceError(
                .invalidProject,
                "cannot plan \(project.name) for '\(environment)': \(error.diagnostics.count) problem(s); "
                    + "nothing was deployed", diagnostics: planner.warnings() + error.diagnostics)
        }
    }
}

extension Plan {
    /// The project's and environment's variables as the store keeps them: secret values masked.
    public var recordedVariables: [String: ConfigValue] {
        variables.mapValues { $0.masked(by: secrets) }
    }
}
