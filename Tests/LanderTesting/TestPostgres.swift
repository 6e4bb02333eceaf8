import Foundation
import Synchronization

/// A throw-away PostgreSQL (Debian's package, through `Scripts/postgres`): initdb into a scratch folder, a
/// loopback port chosen at run time, stopped by `stop()` or, by the script's watchdog, once the test process
/// is gone (however it ended). `shared` serves a
/// whole test process, each test with a database of its own; a test that restarts the server makes its own.
public final class TestPostgres: Sendable {
    /// The folder holding the cluster, its log and its URL.
    public let directory: String
    /// The URL of its `lander` database (with the password).
    public let url: String
    private let databases = Atomic<Int>(0)

    /// The server shared by the tests of this process, started when first asked for.
    public static var shared: TestPostgres {
        get throws { try sharedServer.get() }
    }

    private static let sharedServer = Result { try TestPostgres() }

    /// Starts a server of its own.
    public init() throws {
        directory = try Scratch().url.appendingPathComponent("postgres").path
        let script = Repository.root.appendingPathComponent("Scripts/postgres").path
        let status = runToEnd(["/bin/bash", script, "start", directory, String(getpid())])
        guard status == 0, let url = try? String(contentsOfFile: directory + "/url", encoding: .utf8) else {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw CocoaError(
                .executableLoad,
                userInfo: [NSLocalizedDescriptionKey: "Scripts/postgres start failed (\(status)): \(log.suffix(800))"])
        }
        self.url = url.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fresh, empty database on this server: its URL.
    public func freshDatabase() throws -> String {
        let name = "t\(getpid())_\(databases.add(1, ordering: .relaxed).newValue)"
        try psql("CREATE DATABASE \(name)")
        return url.dropLast("lander".count) + name
    }

    /// Runs SQL on the server's `lander` database with psql (as another program would).
    public func psql(_ sql: String, database: String? = nil) throws {
        let target = database ?? url
        let status = runToEnd(["/usr/bin/psql", "-q", "-v", "ON_ERROR_STOP=1", target, "-c", sql])
        guard status == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "psql failed (\(status)): \(sql)"])
        }
    }

    /// Stops the server (a fast shutdown: sessions are ended).
    public func stop() {
        _ = runToEnd(["/bin/bash", Repository.root.appendingPathComponent("Scripts/postgres").path, "stop", directory])
    }

    /// Starts a stopped server again on the same port.
    public func startAgain() throws {
        let script = Repository.root.appendingPathComponent("Scripts/postgres").path
        let status = runToEnd(["/bin/bash", script, "again", directory])
        guard status == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "Scripts/postgres again failed"])
        }
    }
}
