import ArgumentParser
import Foundation
import LanderModel
import LanderService
import LanderStore

/// `lander release create VERSION --package app=1.4.2`: records a release's exact packages.
struct ReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Record releases: a version and the exact packages (with hashes) it deploys.",
        subcommands: [ReleaseCreateCommand.self, ReleaseListCommand.self])
}

/// `lander release create VERSION`.
struct ReleaseCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Resolve each package of lander.yml to an exact version and hash, and record the release.",
        discussion: """
            `latest` resolves once, here: deploying the release later always deploys the same files. \
            A release version is recorded once; create a new version rather than changing one.
            """)

    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions

    @Argument(help: "The release's version.")
    var version: String

    @OptionGroup var packages: PackageOptions

    func run() async throws {
        let reference = try project.reference()
        let (loaded, resolved): (LoadedProject, [ResolvedPackage])
        do {
            (loaded, resolved) = try await store.deployer.createRelease(
                reference, version: version, packages: try packages.wanted())
        } catch let error as ServiceError {
            throw refusal(error)
        }
        printOutput("release \(loaded.project.name) \(version)")
        for package in resolved {
            printOutput("  \(package.id) \(package.version)  \(package.file)  sha256 \(package.sha256)")
        }
    }
}

/// `lander release list`.
struct ReleaseListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The releases recorded for the project, newest first, with their packages.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions

    @Option(help: "At most this many.")
    var limit = 20

    @Flag(help: "One JSON array, for tools.")
    var json = false

    func run() async throws {
        let loaded = try project.load()
        let state = try store.open(projectDirectory: project.directory)
        let releases: [ReleaseRecord]
        do {
            releases = try state.releases(project: loaded.name, limit: limit)
        } catch {
            throw refuse(error)
        }
        if json { return printOutput(jsonText(releases)) }
        if releases.isEmpty {
            printOutput("no releases of \(loaded.name) are recorded; `lander release create VERSION` records one")
        }
        for release in releases {
            let packages = release.packages.map { "\($0.id) \($0.version)" }.joined(separator: ", ")
            printOutput(
                "\(release.version)  \(shortTime(release.createdAt))  by \(release.createdBy)"
                    + (packages.isEmpty ? "" : "  \(packages)"))
        }
    }
}
