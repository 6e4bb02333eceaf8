import ArgumentParser
import Foundation
import LanderEngine
import LanderTransport

/// `lander deploy -e ENV --version V`: plans and runs a deployment, showing its progress.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy a release to an environment.",
        discussion: """
            Exit codes: 0 succeeded, 1 the deployment failed, 2 lander.yml or the plan is invalid (nothing ran), \
            130 cancelled by Ctrl-C or SIGTERM (on_cancel and finally hooks ran, running commands were stopped).
            """)

    @OptionGroup var project: ProjectOptions

    @Option(name: [.customShort("e"), .long], help: "The environment to deploy to.")
    var environment: String

    @Option(name: .long, help: "The release version to deploy.")
    var version: String

    @Flag(help: "One JSON event per line on standard output.")
    var json = false

    @Flag(help: "Plain lines even on a terminal.")
    var plain = false

    @Flag(name: .shortAndLong, help: "Also show every line commands print (plain output).")
    var verbose = false

    func run() async throws {
        let loaded = try project.load()
        let scripts = project.scripts(for: loaded)
        let plan = try await project.plan(loaded, environment: environment, version: version, scripts: scripts)
        let style: Reporter.Style = json ? .json : (plain || isatty(1) == 0) ? .plain : .live
        let reporter = Reporter(style: style, verbose: verbose)
        let connections = ConnectionPool(localEnvironment: ProcessInfo.processInfo.environment)
        let deployment = Deployment(
            plan: plan, scripts: scripts,
            connect: { connections.connection(target: $0.name, transport: $0.transport, root: $0.root) },
            disconnect: { await connections.closeAll() },
            events: { reporter.handle($0) })
        let running = Task { await deployment.run() }
        let trap = SignalTrap { signal in
            reporter.note("received \(signal); stopping running commands, then running on_cancel and finally hooks")
            running.cancel()
        }
        let report = await running.value
        trap.release()
        reporter.finish(report)
        switch report.outcome {
        case .succeeded: return
        case .failed: throw ExitCode(ExitCodes.failed)
        case .cancelled: throw ExitCode(ExitCodes.cancelled)
        }
    }
}
