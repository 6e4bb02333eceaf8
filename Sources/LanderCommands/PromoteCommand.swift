import ArgumentParser
import Foundation
import LanderModel
import LanderService

/// `lander promote --from test --to production`: every project of the workspace (or those named) gets in
/// `--to` the release it last deployed successfully to `--from`, in waves ordered by `requires:`.
struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Deploy to one environment what each project of the workspace runs in another.",
        discussion: """
            Each project gets the release (version and package versions) it last deployed successfully to \
            --from. Projects another one requires go in an earlier wave; the projects of a wave run in \
            parallel (--parallel). A project that fails stops only the projects that require it.
            """)

    @Option(help: "The environment whose releases are promoted.")
    var from: String

    @Option(help: "The environment they are deployed to.")
    var to: String

    @Option(name: [.customShort("p"), .customLong("project")], help: "Only this project (repeatable).")
    var projects: [String] = []

    @Option(help: "At most this many projects deploying at once.")
    var parallel = 4

    @Flag(help: "Show the waves and versions; deploy nothing.")
    var dryRun = false

    @Flag(help: "The summary as JSON on standard output.")
    var json = false

    @OptionGroup var store: StoreOptions

    @OptionGroup var remote: ServerOptions

    private struct Promoted: Decodable {
        var from: String
        var to: String
        var succeeded: Bool
        var entries: [Promotion.Entry]
    }

    func run() async throws {
        if let client = try remote.client() {
            var body: [String: Any] = ["from": from, "to": to, "parallel": parallel, "dry_run": dryRun]
            if !projects.isEmpty { body["projects"] = projects }
            let data = try await client.send("POST", "/promote", body: try JSONSerialization.data(withJSONObject: body))
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            let result = try decoder.decode(Promoted.self, from: data)
            let summary = Promotion(from: result.from, to: result.to, entries: result.entries)
            if json { printOutput(jsonText(summary.entries)) } else { print(summary: summary) }
            if !result.succeeded { throw ExitCode(ExitCodes.failed) }
            return
        }
        let context = try WorkspaceContext.here(store, command: "promote")
        let (deployer, workspace) = (context.deployer, context.workspace)
        let planned: Promotion
        do {
            planned = try deployer.planPromotion(in: workspace, from: from, to: to, projects: projects)
        } catch {
            throw refusal(error)
        }
        let json = self.json
        let result =
            dryRun
            ? planned
            : try await withDeliveries(in: workspace.root, deployer: deployer, store: store) {
                await deployer.promote(planned, in: workspace, parallel: parallel) { line in
                    if !json { printOutput(line) }
                }
            }
        if json {
            printOutput(jsonText(result.entries))
        } else {
            print(summary: result)
        }
        if !result.succeeded { throw ExitCode(ExitCodes.failed) }
    }

    private func print(summary: Promotion) {
        printOutput("promote \(summary.from) → \(summary.to)\(dryRun ? " (dry run)" : ""):")
        for entry in summary.entries {
            let version = entry.version ?? "—"
            let id = entry.deployment.map { " \($0)" } ?? ""
            printOutput(
                "  wave \(entry.wave)  \(entry.project) \(version)  \(entry.outcome)\(id)"
                    + (entry.detail.map { ": \($0)" } ?? ""))
        }
    }
}
