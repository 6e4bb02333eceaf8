import ArgumentParser
import Foundation
import LanderEngine
import LanderLoading
import LanderModel
import LanderService

/// `lander validate`: loads lander.yml, checks templates and expressions, and reports every problem at once.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check lander.yml (and the templates it uses) and report every problem with file:line:column.")

    @OptionGroup var project: ProjectOptions

    @Option(
        name: [.customShort("e"), .long], help: "Check only this environment, and that every role has targets in it.")
    var environment: String?

    func run() async throws {
        let file = project.file
        let loaded: Project
        var problems: [Diagnostic] = []
        do {
            loaded = try ProjectLoader.load(file: file)
        } catch {
            // What could be read around the problems is checked too, so every problem shows at once.
            guard let partial = error.partial else {
                for diagnostic in error.diagnostics { printError(diagnostic.description) }
                printError("lander: \(file) has \(error.diagnostics.count) problem(s); nothing was deployed")
                throw ExitCode(1)
            }
            loaded = partial
            problems = error.diagnostics
        }
        if let environment, loaded.environment(named: environment) == nil {
            let names = loaded.environments.map(\.name).joined(separator: ", ")
            printError("lander: no environment '\(environment)' in \(file); environments are: \(names)")
            throw ExitCode(1)
        }
        // Planning each environment checks templates, parameters and expressions; secrets need not be set.
        var planner = Planner(
            project: loaded, projectDirectory: project.directory,
            processEnvironment: ProcessInfo.processInfo.environment,
            scripts: LoadedProject.scripts(for: loaded, in: project.directory, plugins: project.plugins))
        planner.requireSources = false
        planner.requireRoles = environment != nil
        for warning in planner.warnings() { printError(warning.description) }
        var seen = Set(problems.map(\.description))
        for name in environment.map({ [$0] }) ?? loaded.environments.map(\.name) {
            do {
                _ = try await planner.plan(environment: name, release: Release(version: "VERSION"))
            } catch {
                for diagnostic in error.diagnostics where seen.insert(diagnostic.description).inserted {
                    problems.append(diagnostic)
                }
            }
        }
        guard problems.isEmpty else {
            problems.sort {
                ($0.location?.line ?? 0, $0.location?.column ?? 0) < ($1.location?.line ?? 0, $1.location?.column ?? 0)
            }
            for diagnostic in problems { printError(diagnostic.description) }
            printError("lander: \(file) has \(problems.count) problem(s); nothing was deployed")
            throw ExitCode(1)
        }
        let tasks = loaded.steps.reduce(0) { $0 + $1.tasks.count }
        printOutput(
            "\(file): project '\(loaded.name)' is valid: \(loaded.steps.count) steps, \(tasks) tasks, "
                + "\(loaded.environments.count) environments (\(loaded.environments.map(\.name).joined(separator: ", ")))"
        )
    }
}
