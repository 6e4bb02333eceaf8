import Foundation
import Synchronization

/// A throw-away PostgreSQL (Debian's package, through `Scripts/postgres`): initdb into a scratch folder, a
/// loopback port chosen at run time, stopped by `stop()` or, by the script's watchdog, once the test process
/// is gone (however it ended). `shared()` serves a whole test process, each test with a database of its own;
/// a test that restarts the server starts its own. The waits are asynchronous (but `stop()`, for a `defer`):
/// the scripts and psql run as child processes keeping only the standard descriptors (a server must hold no
/// other test's pipe), awaited without holding a thread of the cooperative pool.
public final class TestPostgres: Sendable {
    /// The folder holding the cluster, its log and its URL.
    public let directory: String
    /// The URL of its `lander` database (with the password).
    public let url: String
    private let databases = Atomic<Int>(0)
    private static let sharedServer = SharedServer()

    /// The server shared by the tests of this process, started when first asked for.
    public static func shared() async throws -> TestPostgres {
        try await sharedServer.get()
    }

    /// Starts a server of its own.
    public static func start() async throws -> TestPostgres {
        let directory = try Scratch().url.appendingPathComponent("postgres").path
        let status = await run([
            "/usr/bin/env", "LANDER_POSTGRES_NO_FSYNC=1", "/bin/bash", script, "start", directory, String(getpid()),
        ])
        guard status == 0, let url = try? String(contentsOfFile: directory + "/url", encoding: .utf8) else {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw CocoaError(
                .executableLoad,
                userInfo: [NSLocalizedDescriptionKey: "Scripts/postgres start failed (\(status)): \(log.suffix(800))"])
        }
        return TestPostgres(directory: directory, url: url.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private init(directory: String, url: String) {
        self.directory = directory
        self.url = url
    }

    private static var script: String { Repository.root.appendingPathComponent("Scripts/postgres").path }

    /// Runs a program to its end without holding a thread: its exit status (-1 when it could not start or
    /// ran past two minutes).
    private static func run(_ argv: [String]) async -> Int32 {
        guard let pid = try? spawnHelper(argv) else { return -1 }
        return await waitForExit(pid: pid, timeout: .seconds(120)) ?? -1
    }

    /// A fresh, empty database on this server: its URL.
    public func freshDatabase() async throws -> String {
        let name = "t\(getpid())_\(databases.add(1, ordering: .relaxed).newValue)"
        try await psql("CREATE DATABASE \(name)")
        return url.dropLast("lander".count) + name
    }

    /// Runs SQL on the server's `lander` database, or on `database`, with psql (as another program would).
    public func psql(_ sql: String, database: String? = nil) async throws {
        let status = await Self.run(["/usr/bin/psql", "-q", "-v", "ON_ERROR_STOP=1", database ?? url, "-c", sql])
        guard status == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "psql failed (\(status)): \(sql)"])
        }
    }

    /// Stops the server (a fast shutdown: sessions are ended).
    public func halt() async {
        _ = await Self.run(["/bin/bash", Self.script, "stop", directory])
    }

    /// Stops the server, waiting on this thread (for a `defer`, at a test's end).
    public func stop() {
        _ = runToEnd(["/bin/bash", Self.script, "stop", directory])
    }

    /// Starts a stopped server again on the same port.
    public func startAgain() async throws {
        guard
            await Self.run(["/usr/bin/env", "LANDER_POSTGRES_NO_FSYNC=1", "/bin/bash", Self.script, "again", directory])
                == 0
        else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "Scripts/postgres again failed"])
        }
    }

    /// The shared server, started once by whichever test asks first; the others wait without a thread.
    private actor SharedServer {
        private var started: Task<TestPostgres, any Error>?

        func get() async throws -> TestPostgres {
            if let started { return try await started.value }
            let task = Task { try await TestPostgres.start() }
            started = task
            return try await task.value
        }
    }
}
