import ArgumentParser
import LanderEngine
import LanderModel
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
        let (loaded, planned): (LoadedProject, PlannedRelease)
        do {
            (loaded, planned) = try await Deployer().plan(request)
        } catch {
            throw refusal(error)
        }
        for warning in planned.warnings { printError(warning.description) }
        printOutput(PlanRenderer(plan: planned.plan).render(format))
        if format == .text, let environment = loaded.project.environment(named: environment) {
            for line in Self.jobs(loaded.project, in: environment) { printOutput(line) }
        }
    }

    /// The jobs targets may ask for (phone home): who may call, and where each would run here.
    static func jobs(_ project: Project, in environment: Environment) -> [String] {
        guard !project.jobs.isEmpty else { return [] }
        var lines = ["", "jobs targets may ask for (lander-call JOB), in \(environment.name):"]
        for job in project.jobs {
            let callers = environment.targets.filter { target in job.callers.contains { target.roles.contains($0) } }
            let runs: String
            switch job.work {
            case .steps(let steps):
                let targets = environment.targets.filter { target in job.roles.contains { target.roles.contains($0) } }
                runs =
                    "\(steps.count) step\(steps.count == 1 ? "" : "s") on "
                    + targets.map(\.name).joined(separator: ", ")
            case .project(let deployment): runs = PlanRenderer.describe(deployment)
            }
            lines.append(
                "  \(job.name): asked by "
                    + (callers.isEmpty ? "no target here" : callers.map(\.name).joined(separator: ", "))
                    + "; runs \(runs)" + (job.perCall ? ", per call" : ", once per deployment")
                    + ", timeout \(job.timeout.formatted)")
        }
        return lines
    }
}

/// How `lander plan` prints.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, mermaid, dot
}
