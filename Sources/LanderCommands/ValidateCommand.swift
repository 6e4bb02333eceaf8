import ArgumentParser
import LanderLoading
import LanderModel

/// `lander validate`: loads lander.yml and reports every problem at once.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check lander.yml and report every problem with file:line:column.")

    @Option(name: [.customShort("f"), .long], help: "The project file.")
    var file: String = "lander.yml"

    @Option(name: [.customShort("e"), .long], help: "Also check that every role has targets in this environment.")
    var environment: String?

    func run() async throws {
        let project: Project
        do {
            project = try ProjectLoader.load(file: file)
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            printError("lander: \(file) has \(error.diagnostics.count) problem(s); nothing was deployed")
            throw ExitCode(1)
        }
        if let environment {
            guard let chosen = project.environment(named: environment) else {
                let names = project.environments.map(\.name).joined(separator: ", ")
                printError("lander: no environment '\(environment)' in \(file); environments are: \(names)")
                throw ExitCode(1)
            }
            let missing = Set(project.steps.flatMap { $0.tasks.map(\.role) }).subtracting(chosen.roles).sorted()
            guard missing.isEmpty else {
                printError(
                    "lander: environment '\(environment)' has no targets for role(s) \(missing.joined(separator: ", ")); "
                        + "add targets with those roles")
                throw ExitCode(1)
            }
        }
        let tasks = project.steps.reduce(0) { $0 + $1.tasks.count }
        printOutput(
            "\(file): project '\(project.name)' is valid: \(project.steps.count) steps, \(tasks) tasks, "
                + "\(project.environments.count) environments (\(project.environments.map(\.name).joined(separator: ", ")))"
        )
    }
}
