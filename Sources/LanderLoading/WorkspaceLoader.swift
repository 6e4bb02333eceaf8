import Foundation
public import LanderModel
import Yams

/// Finds and reads `lander-workspace.yml`: its members (paths or globs), store and shared plugins; a member
/// whose lander.yml is broken is an error naming that file and line.
public enum WorkspaceLoader {
    static let keys = ["workspace", "members", "state", "store", "plugins", "smtp", "subscriptions", "schedules"]

    /// The workspace file in `directory` or the nearest folder above it, as Cargo finds its workspace.
    public static func find(from directory: String) -> String? {
        var url = URL(fileURLWithPath: directory).standardizedFileURL
        while true {
            let candidate = url.appendingPathComponent(Workspace.fileName).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { return nil }
            url = parent
        }
    }

    /// The workspace a project in `directory` belongs to: nil when no workspace file is above it, or the one
    /// found does not list this project's lander.yml among its members.
    public static func enclosing(projectFile: String) throws(LoadingError) -> Workspace? {
        let file = URL(fileURLWithPath: projectFile).standardizedFileURL
        guard let found = find(from: file.deletingLastPathComponent().path) else { return nil }
        let workspace = try load(file: found)
        return workspace.member(file: file.path) == nil ? nil : workspace
    }

    /// Reads a workspace file and the name of every member.
    public static func load(file path: String) throws(LoadingError) -> Workspace {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadingError([Diagnostic("cannot read \(path)", at: nil)])
        }
        let text = String(decoding: data, as: UTF8.self)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw LoadingError([YAMLSyntax.diagnostic(error, yaml: text, file: path)])
        } catch {
            throw LoadingError([Diagnostic("\(error)", at: SourceLocation(file: path, line: 1, column: 1))])
        }
        let folder = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
        var reader = NodeReader(file: path)
        var workspace = Workspace(
            name: folder.lastPathComponent, file: URL(fileURLWithPath: path).standardizedFileURL.path,
            root: folder.path, members: [], statePath: folder.appendingPathComponent(".lander/state.db").path,
            plugins: [])
        var patterns: [(String, Node)] = []
        var later: [String: Node] = [:]
        guard let root else {
            throw LoadingError([
                Diagnostic(
                    "the workspace file is empty", at: SourceLocation(file: path, line: 1, column: 1),
                    hint: "list the projects: members: [billing, \"services/*\"]")
            ])
        }
        for (key, node, _) in reader.mapping(root, in: "the workspace file", allowed: keys) ?? [] {
            switch key {
            case "workspace": workspace.name = reader.string(node, "workspace") ?? workspace.name
            case "state", "store":
                if let state = reader.string(node, key) { workspace.statePath = store(state, node, &reader, folder) }
            case "plugins": workspace.plugins = (reader.strings(node, "plugins") ?? []).map { absolute($0, in: folder) }
            case "smtp", "subscriptions", "schedules": later[key] = node
            case "members":
                for entry in node.sequence.map(Array.init) ?? [node] {
                    if let pattern = reader.string(entry, "a member") { patterns.append((pattern, entry)) }
                }
            default: break
            }
        }
        if patterns.isEmpty {
            reader.report("the workspace lists no members", at: root, hint: "add members: [billing, \"services/*\"]")
        }
        var failures: [Diagnostic] = []
        var requirements: [String: [Requirement]] = [:]
        var jobs: [Job] = []
        for (pattern, node) in patterns {
            let files = memberFiles(pattern, in: folder)
            if files.isEmpty {
                reader.report(
                    "member '\(pattern)' matches no folder with a lander.yml", at: node,
                    hint: "members are folders (or globs of folders) under \(folder.path) holding a lander.yml")
            }
            for file in files {
                do {
                    let project = try ProjectLoader.load(file: file)
                    add(project, file: file, to: &workspace, at: node, &reader)
                    requirements[project.name] = project.requires
                    jobs += project.jobs
                } catch {
                    failures += error.diagnostics
                }
            }
        }
        // Subscriptions and schedules name members and their environments: read once the members are known.
        if let node = later["smtp"] { workspace.smtp = smtp(node, &reader) }
        if let node = later["subscriptions"] { workspace.subscriptions = subscriptions(node, of: workspace, &reader) }
        if let node = later["schedules"] { workspace.schedules = schedules(node, of: workspace, &reader) }
        let problems =
            reader.diagnostics + failures + check(requirements, of: workspace) + check(jobs: jobs, of: workspace)
        guard problems.isEmpty else { throw LoadingError(problems) }
        return workspace
    }

    /// Jobs deploying a project that is no member (with a did-you-mean).
    static func check(jobs: [Job], of workspace: Workspace) -> [Diagnostic] {
        let names = workspace.members.map(\.name)
        return jobs.compactMap { job in
            guard case .project(let request) = job.work, !names.contains(request.project) else { return nil }
            return Diagnostic(
                "job '\(job.name)' deploys '\(request.project)', which is no project of the workspace",
                at: job.location, hint: Suggestion.hint(for: request.project, in: names, listing: "its projects are"))
        }
    }

    /// Requirements naming no member (with a did-you-mean), and cycles (`a → b → a`), at the requirement
    /// that closes each.
    static func check(_ requirements: [String: [Requirement]], of workspace: Workspace) -> [Diagnostic] {
        let names = workspace.members.map(\.name)
        var diagnostics: [Diagnostic] = []
        for (_, list) in requirements.sorted(by: { $0.key < $1.key }) {
            for requirement in list where !names.contains(requirement.project) {
                diagnostics.append(
                    Diagnostic(
                        "requires: names '\(requirement.project)', which is no project of the workspace",
                        at: requirement.location,
                        hint: Suggestion.hint(for: requirement.project, in: names, listing: "its projects are")))
            }
        }
        var reported: Set<String> = []
        func visit(_ name: String, _ path: [String]) {
            for requirement in requirements[name] ?? [] {
                if let start = path.firstIndex(of: requirement.project) {
                    let cycle = path[start...] + [requirement.project]
                    guard reported.insert(Set(cycle).sorted().joined(separator: ",")).inserted else { continue }
                    diagnostics.append(
                        Diagnostic(
                            "requirement cycle: " + cycle.joined(separator: " → "), at: requirement.location,
                            hint: "projects cannot each need the other deployed first; drop one of these requires:"))
                } else if path.count < names.count {
                    visit(requirement.project, path + [requirement.project])
                }
            }
        }
        for name in names { visit(name, [name]) }
        return diagnostics
    }

    private static func add(
        _ project: Project, file: String, to workspace: inout Workspace, at node: Node, _ reader: inout NodeReader
    ) {
        let name = project.name
        if let other = workspace.member(named: name) {
            reader.report(
                "two members are named '\(name)': \(other.file) and \(file)", at: node,
                hint: "project names are unique in a workspace")
            return
        }
        guard workspace.member(file: file) == nil else { return }
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        workspace.members.append(
            Workspace.Member(
                name: name, file: file, directory: directory, environments: project.environments.map(\.name)))
    }

    /// The lander.yml files a member entry names: a folder, or a glob of folders (`*` within one name).
    static func memberFiles(_ pattern: String, in folder: URL) -> [String] {
        let parts = pattern.split(separator: "/").map(String.init)
        var directories = [folder]
        for part in parts {
            directories = directories.flatMap { directory -> [URL] in
                guard part.contains("*") || part.contains("?") else { return [directory.appendingPathComponent(part)] }
                let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
                return names.sorted().filter { fnmatch(part, $0, 0) == 0 && !$0.hasPrefix(".") }.map {
                    directory.appendingPathComponent($0)
                }
            }
        }
        return directories.map { $0.appendingPathComponent("lander.yml").standardizedFileURL.path }.filter {
            FileManager.default.fileExists(atPath: $0)
        }
    }

    /// Where `state:` (or `store:`) puts the store: a file beside the workspace file, or a PostgreSQL URL,
    /// which may not carry a password (it belongs in `PGPASSWORD`, not in a file people commit).
    static func store(_ text: String, _ node: Node, _ reader: inout NodeReader, _ folder: URL) -> String {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            return absolute(text, in: folder)
        }
        if let parts = URLComponents(string: text), parts.password != nil {
            reader.report(
                "the store URL carries a password", at: node,
                hint: "write postgres://USER@HOST:PORT/DATABASE and give the password in PGPASSWORD")
        }
        return text
    }

    static func absolute(_ path: String, in folder: URL) -> String {
        path.hasPrefix("/") ? path : folder.appendingPathComponent(path).standardizedFileURL.path
    }
}
