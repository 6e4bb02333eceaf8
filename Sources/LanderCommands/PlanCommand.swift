import ArgumentParser
import LanderEngine

/// `lander plan -e ENV`: what a deployment would do, without doing it.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show steps × tasks × targets for an environment, with resolved variables (secrets masked).")

    @OptionGroup var project: ProjectOptions

    @Option(name: [.customShort("e"), .long], help: "The environment to plan for.")
    var environment: String

    @Option(name: .long, help: "The release version to plan.")
    var version: String = "VERSION"

    @Option(help: "text, json, mermaid or dot.")
    var format: PlanFormat = .text

    @OptionGroup var packages: PackageOptions

    func run() async throws {
        let loaded = try project.load()
        let resolved = try await packages.resolve(
            for: loaded, projectDirectory: project.directory, releaseVersion: version)
        let plan = try await project.plan(
            loaded, environment: environment, version: version, scripts: project.scripts(for: loaded),
            packages: resolved)
        printOutput(PlanRenderer(plan: plan).render(format))
    }
}

/// How `lander plan` prints.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, mermaid, dot
}
