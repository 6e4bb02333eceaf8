import ArgumentParser
import Foundation
import LanderService

/// `lander deploy -e ENV --version V`: plans and runs a deployment, showing its progress and recording it.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy a release to an environment.",
        discussion: """
            One deployment per project and environment runs at a time: a second waits its turn (--wait, the \
            default) or stops at once (--no-wait). Everything is recorded in the state store (see `lander history`).
            Exit codes: 0 succeeded, 1 the deployment failed, 2 lander.yml or the plan is invalid (nothing ran), \
            3 the state store refused (an interrupted deployment waits for `lander resume` or `lander abandon`, \
            the project is being deployed under --no-wait, or the store is unreadable; nothing ran), 130 cancelled \
            by Ctrl-C or SIGTERM (on_cancel and finally hooks ran, running commands were stopped), 64 the command \
            line is wrong.
            """)

    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions

    @Option(name: [.customShort("e"), .long], help: "The environment to deploy to.")
    var environment: String

    @Option(name: .long, help: "The release version to deploy (its packages from --package, else this version).")
    var version: String?

    @Option(name: .long, help: "A release `lander release create` recorded: its version and exact packages.")
    var release: String?

    @OptionGroup var packages: PackageOptions

    @Flag(inversion: .prefixedNo, help: "Wait while another deployment of the project and environment runs.")
    var wait = true

    @Flag(help: "Deploy even when `requires:` is not met in the environment (recorded with the deployment).")
    var ignoreRequirements = false

    @OptionGroup var output: RunOutputOptions

    @OptionGroup var remote: ServerOptions

    func run() async throws {
        let choice: VersionChoice
        switch (self.version, release) {
        case (let given?, nil): choice = .version(given)
        case (nil, let name?): choice = .release(name)
        case (_?, _?):
            printError("lander: give --version V or --release V, not both")
            throw ExitCode(ExitCodes.usage)
        case (nil, nil):
            printError("lander: give --version V, or --release V for a release `lander release create` recorded")
            throw ExitCode(ExitCodes.usage)
        }
        if let client = try remote.client() {
            return try await RemoteDeploy(client: client, reporter: output.reporter).run(
                project: try RemoteDeploy.projectName(project), environment: environment, version: self.version,
                release: release, packages: try packages.wanted())
        }
        var request = DeploymentRequest(
            project: try project.reference(), environment: environment, version: choice,
            packages: try packages.wanted(),
            plugins: project.plugins, wait: wait)
        request.ignoreRequirements = ignoreRequirements
        let reporter = output.reporter
        let deployer = store.deployer
        try await withDeliveries(in: project.directory, deployer: deployer, store: store) {
            let handle: DeploymentHandle
            do {
                handle = try await deployer.deploy(request, observer: ReporterObserver(reporter: reporter))
            } catch let error as ServiceError {
                throw refusal(error)
            }
            try await follow(handle, reporter: reporter)
        }
    }
}
