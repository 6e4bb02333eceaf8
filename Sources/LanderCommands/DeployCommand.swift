import ArgumentParser
import Foundation
import LanderEngine
import LanderModel
import LanderStore

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

    @OptionGroup var output: RunOutputOptions

    func run() async throws {
        let loaded = try project.load()
        let scripts = project.scripts(for: loaded)
        let state = try store.open(projectDirectory: project.directory)
        let version: String
        let resolved: [ResolvedPackage]
        switch (self.version, release) {
        case (let given?, nil):
            version = given
            resolved = try await packages.resolve(
                for: loaded, projectDirectory: project.directory, releaseVersion: given)
        case (nil, let name?):
            guard packages.packages.isEmpty else {
                printError("lander: --release deploys the release's own packages; drop --package")
                throw ExitCode(ExitCodes.usage)
            }
            let recorded: [ResolvedPackage]?
            do {
                recorded = try state.release(project: loaded.name, version: name)
            } catch {
                throw refuse(error)
            }
            guard let recorded else {
                printError(
                    "lander: no release \(name) of \(loaded.name) is recorded; create it with "
                        + "`lander release create \(name) --package ID=VERSION`")
                throw ExitCode(ExitCodes.refused)
            }
            (version, resolved) = (name, recorded)
        case (_?, _?):
            printError("lander: give --version V or --release V, not both")
            throw ExitCode(ExitCodes.usage)
        case (nil, nil):
            printError("lander: give --version V, or --release V for a release `lander release create` recorded")
            throw ExitCode(ExitCodes.usage)
        }
        let plan = try await project.plan(
            loaded, environment: environment, version: version, scripts: scripts, packages: resolved)
        let reporter = output.reporter
        let id = Deployment.newID()
        let new = NewDeployment(
            id: id, project: plan.project, environment: plan.environment, version: plan.release.version,
            packages: plan.release.packages, variables: plan.recordedVariables, projectFile: project.absoluteFile,
            pluginPath: project.plugins.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        try await RecordedRun(plan: plan, scripts: scripts, store: state, id: id, wait: wait, reporter: reporter)
            .run { () throws(StoreError) in try state.begin(new) }
    }
}

extension Plan {
    /// The project's and environment's variables as the store keeps them: secret values masked.
    var recordedVariables: [String: ConfigValue] {
        variables.mapValues { $0.masked(by: secrets) }
    }
}
