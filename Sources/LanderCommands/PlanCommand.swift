import ArgumentParser
import LanderEngine
import LanderService

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

    @Flag(help: "Plan even when `requires:` is not met in the environment.")
    var ignoreRequirements = false

    func run() async throws {
        var request = DeploymentRequest(
            project: try project.reference(), environment: environment, version: .version(version),
            packages: try packages.wanted(), plugins: project.plugins)
        request.ignoreRequirements = ignoreRequirements
        let planned: PlannedRelease
        do {
            planned = try await Deployer().plan(request).1
        } catch {
            throw refusal(error)
        }
        for warning in planned.warnings { printError(warning.description) }
        printOutput(PlanRenderer(plan: planned.plan).render(format))
    }
}

/// How `lander plan` prints.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, mermaid, dot
}
