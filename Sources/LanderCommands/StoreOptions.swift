import ArgumentParser
import Foundation
import LanderHTTP
import LanderService
import LanderStore

/// Where the state store is: `--state`, else `LANDER_STATE`, else the workspace's store, else `.lander/state.db`
/// beside the project file.
struct StoreOptions: ParsableArguments {
    @Option(
        name: [.customLong("state"), .customLong("store")],
        help: ArgumentHelp(
            "The state store: an SQLite file, or postgres://USER@HOST:PORT/DATABASE (password in PGPASSWORD) for "
                + "several servers; share one between projects to share locks and history.",
            valueName: "path|url"))
    var path: String?

    /// The service over this store (`LANDER_LEASE_SECONDS` shortens leases, for tests).
    var deployer: Deployer {
        let lease =
            ProcessInfo.processInfo.environment["LANDER_LEASE_SECONDS"].flatMap(Double.init)
            .map { Duration.milliseconds(Int64($0 * 1000)) } ?? .seconds(15)
        return Deployer(
            store: path.map(Deployer.StoreChoice.path) ?? .standard, lease: lease, listener: CallbackServer())
    }

    /// Opens the store, or prints why not and exits 3.
    func open(projectDirectory directory: String) throws -> StateStore {
        do {
            return try deployer.openStore(forProjectIn: directory)
        } catch {
            throw refusal(error)
        }
    }
}

/// Prints a store error and exits 3.
func refuse(_ error: any Error) -> ExitCode {
    printError("lander: \(error)")
    return ExitCode(ExitCodes.refused)
}
