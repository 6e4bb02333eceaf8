import ArgumentParser
import Foundation
import LanderService
import LanderStore

/// `lander store migrate --to postgres://…`: moves an embedded store's history to a shared PostgreSQL.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "The state store itself: copy an embedded store to PostgreSQL for several servers.",
        subcommands: [StoreMigrateCommand.self])
}

/// `lander store migrate --to URL`.
struct StoreMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract:
            "Copy the project's SQLite store (its workspace's, or --state), whole, into an empty PostgreSQL store.",
        discussion: """
            The copy is one transaction: it lands whole or not at all, and a database that already holds \
            history is refused. Give the password in PGPASSWORD rather than in the URL (process lists show \
            arguments). Point servers at the new store with --store (or `store:` in lander-workspace.yml) once \
            it is copied.
            """)

    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("The PostgreSQL store to copy into.", valueName: "postgres://USER@HOST:PORT/DATABASE"))
    var to: String

    func run() async throws {
        let source: String
        let counts: StoreMigration.Counts
        do {
            source = try store.deployer.storePath(forProjectIn: project.directory)
            counts = try StoreMigration.copy(from: source, to: to)
        } catch let error as ServiceError {
            throw refusal(error)
        } catch {
            throw refuse(error)
        }
        let copied = counts.filter { $0.rows > 0 }.map { "\($0.rows) \($0.table)" }
        printOutput(
            "copied \(source) into \(StateStore.redacted(to)): \(copied.isEmpty ? "nothing" : copied.joined(separator: ", "))"
        )
    }
}
