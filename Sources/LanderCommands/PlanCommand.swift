import ArgumentParser
import Foundation
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

    @OptionGroup var remote: ServerOptions

    func run() async throws {
        if let client = try remote.client() { return try await planRemotely(client) }
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
        printOutput(PlanRenderer(plan: planned.plan).render(PlanRenderer.Format(rawValue: format.rawValue) ?? .text))
        if format == .text, let environment = loaded.project.environment(named: environment) {
            for line in PlanRenderer.jobs(loaded.project, in: environment) { printOutput(line) }
        }
    }

    /// The server plans it from the workspace it serves and prints it with the same renderer.
    private func planRemotely(_ client: APIClient) async throws {
        var body: [String: Any] = [
            "project": try RemoteDeploy.projectName(project), "environment": environment, "version": version,
            "format": format.rawValue, "ignore_requirements": ignoreRequirements,
        ]
        let wanted = try packages.wanted()
        if !wanted.isEmpty { body["packages"] = wanted }
        let data = try await client.send(
            "POST", "/plan", body: try JSONSerialization.data(withJSONObject: body), notFound: ExitCodes.invalidProject)
        guard let answer = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let output = answer["output"] as? String
        else {
            printError("lander: the server's plan is not what this lander reads")
            throw ExitCode(ExitCodes.refused)
        }
        for warning in answer["warnings"] as? [String] ?? [] { printError(warning) }
        printOutput(output)
    }
}

/// How `lander plan` prints.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, mermaid, dot
}
