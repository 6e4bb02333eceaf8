import Foundation
public import LanderModel
import Yams

/// Turns `lander.yml` into a `Project`, reporting every problem at once with file:line:column.
public enum ProjectLoader {
    static let projectKeys = [
        "project", "plugins", "use", "variables", "environments", "hooks", "steps", "packages", "requires",
        "jobs",
    ]
    static let environmentKeys = ["variables", "roles", "targets", "ssh", "acquisition", "mirror"]
    static let targetKeys = ["transport", "root", "roles", "variables", "ssh", "agent", "acquisition", "mirror"]
    static let sshKeys = ["host", "user", "port", "identity", "jump", "config", "options", "host_key_checking"]
    static let optionKeys = [
        "halt_on_error", "wait_for_finish", "continue_on_error", "timeout", "retries", "retry_backoff", "when", "env",
        "parallelism",
    ]
    static let actionKeys = ["on", "run", "template", "with", "deploy", "wait_for"]
    static let lockKeys = ["lock", "semaphore"]
    static let stepKeys =
        ["name", "step", "tasks", "variables", "rolling", "milestone"] + actionKeys + optionKeys + lockKeys
    static let taskKeys = ["name", "rolling"] + actionKeys + optionKeys + lockKeys
    static let shellHint = "commands are argv lists, never shell strings: write run: [echo, hello]"

    /// Loads a project file from disk.
    public static func load(file path: String) throws(LoadingError) -> Project {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadingError([
                Diagnostic("cannot read \(path)", at: nil, hint: "run lander in the project's directory or pass --file")
            ])
        }
        return try load(yaml: String(decoding: data, as: UTF8.self), file: path)
    }

    /// Loads a project from YAML text; `file` names it in diagnostics.
    public static func load(yaml: String, file: String) throws(LoadingError) -> Project {
        var reader = NodeReader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw LoadingError([YAMLSyntax.diagnostic(error, yaml: yaml, file: file)])
        } catch {
            throw LoadingError([Diagnostic("\(error)", at: SourceLocation(file: file, line: 1, column: 1))])
        }
        guard let root else {
            throw LoadingError([
                Diagnostic(
                    "the project file is empty", at: SourceLocation(file: file, line: 1, column: 1),
                    hint: "start with project: NAME")
            ])
        }
        var project = Project(name: "")
        var nameSeen = false
        for (key, node, _) in reader.mapping(root, in: "the project file", allowed: projectKeys) ?? [] {
            switch key {
            case "project":
                nameSeen = true
                project.name = reader.string(node, "project") ?? ""
            case "plugins": project.plugins = reader.strings(node, "plugins") ?? []
            case "variables": project.variables = reader.variables(node, in: "the project")
            case "environments": project.environments = environments(node, &reader)
            case "hooks": project.hooks = hooks(node, &reader)
            case "use": project.uses = uses(node, &reader)
            case "steps": project.steps = steps(node, &reader)
            case "packages": project.packages = PackageLoader.packages(node, &reader)
            case "requires": project.requires = requirements(node, &reader)
            case "jobs": project.jobs = jobs(node, &reader)
            default: break
            }
        }
        if !nameSeen {
            reader.report("missing key 'project'", at: root, hint: "name the project: project: checkout")
        }
        for diagnostic in ProjectChecks.run(project) { reader.report(diagnostic) }
        guard reader.diagnostics.isEmpty else {
            throw LoadingError(
                reader.diagnostics.sorted {
                    ($0.location?.line ?? 0, $0.location?.column ?? 0) < (
                        $1.location?.line ?? 0, $1.location?.column ?? 0
                    )
                }, partial: project)
        }
        return project
    }
}
