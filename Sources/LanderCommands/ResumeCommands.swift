import ArgumentParser
import Foundation
import LanderService

/// Output flags of the commands that run a deployment.
struct RunOutputOptions: ParsableArguments {
    @Flag(help: "One JSON event per line on standard output.")
    var json = false

    @Flag(help: "Plain lines even on a terminal.")
    var plain = false

    @Flag(name: .shortAndLong, help: "Also show every line commands print (plain output).")
    var verbose = false

    /// A reporter with these flags.
    var reporter: Reporter {
        Reporter(style: json ? .json : (plain || isatty(1) == 0) ? .plain : .live, verbose: verbose)
    }
}

/// `lander resume ID`: finishes an interrupted (or cancelled) deployment from its first unfinished task on each target.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue an interrupted or cancelled deployment where it stopped.",
        discussion: """
            Plans the deployment again from the lander.yml and plugin path it was recorded with; tasks that \
            finished on a target (with their outputs) are not run again, the rest run as usual.
            """)

    @Argument(help: "The deployment's id (or a unique prefix).")
    var id: String

    @Option(name: [.customShort("f"), .long], help: "The project file whose store to read (its directory's .lander/).")
    var file: String = "lander.yml"

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: RunOutputOptions

    @Flag(inversion: .prefixedNo, help: "Wait while another deployment of the project and environment runs.")
    var wait = true

    @OptionGroup var remote: ServerOptions

    func run() async throws {
        if let client = try remote.client() {
            return try await RemoteDeploy(client: client, reporter: output.reporter).start(
                "/deployments/\(id)/resume", body: [:])
        }
        let directory = URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().path
        let reporter = output.reporter
        let deployer = store.deployer
        try await withDeliveries(in: directory, deployer: deployer, store: store) {
            let handle: DeploymentHandle
            do {
                handle = try await deployer.resume(
                    id, projectDirectory: directory, wait: wait, observer: ReporterObserver(reporter: reporter))
            } catch let error as ServiceError {
                throw refusal(error)
            }
            try await follow(handle, reporter: reporter)
        }
    }
}

/// `lander rollback -e ENV [--to VERSION]`: deploys an earlier successful release again.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Deploy the previous successful release again, with its recorded variables.",
        discussion: """
            Without --to, the release before the current one (the newest successful deployment's version) is \
            deployed; with --to, the newest successful deployment of that version. Secrets are read again.
            """)

    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: RunOutputOptions

    @Option(name: [.customShort("e"), .long], help: "The environment to roll back.")
    var environment: String

    @Option(name: .customLong("to"), help: "The version to go back to.")
    var version: String?

    @Flag(inversion: .prefixedNo, help: "Wait while another deployment of the project and environment runs.")
    var wait = true

    @OptionGroup var remote: ServerOptions

    func run() async throws {
        if let client = try remote.client() {
            var body: [String: Any] = ["project": try RemoteDeploy.projectName(project), "environment": environment]
            if let version { body["to"] = version }
            return try await RemoteDeploy(client: client, reporter: output.reporter).start("/rollback", body: body)
        }
        let reporter = output.reporter
        let reference = try project.reference()
        let deployer = store.deployer
        try await withDeliveries(in: project.directory, deployer: deployer, store: store) {
            let handle: DeploymentHandle
            do {
                handle = try await deployer.rollback(
                    reference, environment: environment, to: version, plugins: project.plugins, wait: wait,
                    observer: ReporterObserver(reporter: reporter))
            } catch let error as ServiceError {
                throw refusal(error)
            }
            try await follow(handle, reporter: reporter)
        }
    }
}
