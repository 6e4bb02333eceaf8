import ArgumentParser
import Foundation
import LanderEngine
import LanderLoading
import LanderModel
import LanderStore

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

    func run() async throws {
        let directory = URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().path
        let state = try store.open(projectDirectory: directory)
        let record: DeploymentRecord
        let resume: ResumePoint
        do {
            record = try state.deployment(id)
            try state.checkResumable(record)
            resume = try state.resumePoint(of: record.id)
        } catch {
            throw refuse(error)
        }
        var project = ProjectOptions()
        project.file = record.projectFile
        project.plugins = record.pluginPath
        let loaded = try project.load()
        let scripts = project.scripts(for: loaded)
        let plan = try await project.plan(
            loaded, environment: record.environment, version: record.version, scripts: scripts,
            overrides: record.variables, packages: record.packages)
        let reporter = output.reporter
        let before = record.status == "cancelled" ? "it was cancelled" : "the interruption"
        reporter.note("resuming \(record.id): \(resume.finished.count) task run(s) finished before \(before)")
        let id = record.id
        try await RecordedRun(
            plan: plan, scripts: scripts, store: state, id: id, resume: resume, wait: wait, reporter: reporter
        ).run { () throws(StoreError) in _ = try state.claimForResume(id) }
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

    func run() async throws {
        let loaded = try project.load()
        let state = try store.open(projectDirectory: project.directory)
        let target: DeploymentRecord
        do {
            guard
                let found = try state.rollbackTarget(project: loaded.name, environment: environment, version: version)
            else {
                throw StoreError(
                    version.map { "no successful deployment of \(loaded.name) \($0) to \(environment) is recorded" }
                        ?? "no earlier successful release of \(loaded.name) to \(environment) is recorded; "
                        + "`lander history -e \(environment)` lists what is")
            }
            target = found
        } catch {
            throw refuse(error)
        }
        let scripts = project.scripts(for: loaded)
        let plan = try await project.plan(
            loaded, environment: environment, version: target.version, scripts: scripts, overrides: target.variables,
            packages: target.packages)
        let reporter = output.reporter
        reporter.note("rolling back \(loaded.name) on \(environment) to \(target.version) (deployment \(target.id))")
        let id = Deployment.newID()
        let new = NewDeployment(
            id: id, kind: "rollback", project: plan.project, environment: plan.environment,
            version: plan.release.version, packages: target.packages, variables: plan.recordedVariables,
            projectFile: project.absoluteFile,
            pluginPath: project.plugins.map { URL(fileURLWithPath: $0).standardizedFileURL.path },
            note: "rollback to \(target.version) as deployed by \(target.id)")
        try await RecordedRun(plan: plan, scripts: scripts, store: state, id: id, wait: wait, reporter: reporter)
            .run { () throws(StoreError) in try state.begin(new) }
    }
}
