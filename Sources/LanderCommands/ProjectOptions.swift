import ArgumentParser
import Foundation
import LanderEngine
import LanderLoading
import LanderLua
import LanderModel
import LanderService

/// Options every command that reads a project shares: the file and extra plugin directories.
struct ProjectOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .long], help: "The project file.")
    var file: String = "lander.yml"

    @Option(
        name: [.customShort("p"), .customLong("project")],
        help: "A project of the workspace around this folder, by name (instead of --file).")
    var name: String?

    @Option(name: .customLong("plugins"), help: "A plugin directory searched before the project's (repeatable).")
    var plugins: [String] = []

    /// The project asked for: `--project NAME` of the enclosing workspace, else `--file`.
    func reference() throws -> ProjectReference {
        guard let name else { return .file(file) }
        let here = FileManager.default.currentDirectoryPath
        guard let workspace = WorkspaceLoader.find(from: here) else {
            printError(
                "lander: --project \(name) names a project of a workspace, but no \(Workspace.fileName) is in \(here) "
                    + "or above it; pass --file instead")
            throw ExitCode(ExitCodes.usage)
        }
        return .member(name, workspace: workspace)
    }

    /// The project file, absolute.
    var absoluteFile: String { URL(fileURLWithPath: file).standardizedFileURL.path }

    /// The directory holding the project file, absolute.
    var directory: String {
        URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().path
    }

    /// Loads the project or prints every problem and exits 2.
    func load() throws -> Project {
        do {
            return try ProjectLoader.load(file: file)
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            printError("lander: \(file) has \(error.diagnostics.count) problem(s); nothing was deployed")
            throw ExitCode(ExitCodes.invalidProject)
        }
    }
}

/// The exit codes of `lander`, as docs/cli.md lists them.
enum ExitCodes {
    /// The deployment ran and failed.
    static let failed: Int32 = 1
    /// lander.yml, a template or the plan is invalid; nothing ran.
    static let invalidProject: Int32 = 2
    /// The state store refused: it is unreadable or newer, an interrupted deployment waits to be resumed or
    /// abandoned, or a lock was busy under `--no-wait`. Nothing ran.
    static let refused: Int32 = 3
    /// The command line is wrong: an unknown or missing option, or options that do not go together. Nothing ran.
    static let usage: Int32 = 64
    /// The deployment was cancelled (Ctrl-C, SIGTERM); cleanup hooks ran.
    static let cancelled: Int32 = 130
}
