import Foundation
import GRDB
import Synchronization

/// The embedded state store: one SQLite file (WAL) that records deployments and serves locks to every
/// Lander process and project that points at it.
public final class StateStore: Sendable {
    /// The file.
    public let path: String
    /// How long a lock or a running deployment stays claimed without a heartbeat.
    public let lease: Duration
    let database: DatabasePool
    /// This machine's name, recorded with every claim and deployment.
    let host: String
    /// A connection of its own, opened when first needed, that only asks whether others committed
    /// (`generation()`).
    let watcher = Mutex<DatabaseQueue?>(nil)

    private init(path: String, lease: Duration, database: DatabasePool) {
        self.path = path
        self.lease = lease
        self.database = database
        self.host = ProcessInfo.processInfo.hostName
    }

    /// Opens (or creates) the store at `path`. A file that is not a Lander store, is damaged, or was moved
    /// to a newer schema by a newer Lander is refused with what to do, and never written.
    public static func open(at path: String, lease: Duration = .seconds(15)) throws(StoreError) -> StateStore {
        try checkHeader(path)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError(
                    .unusable, "cannot create \(directory) for the state store: \(error.localizedDescription)")
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(60)
        configuration.prepareDatabase { db in
            // Each commit reaches the disk before the action it records goes ahead.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        // Processes opening one store at once (a new one, or one SQLite is recovering) go one at a time.
        let lockFile = Glibc.open(path + "-open.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if lockFile >= 0 { flock(lockFile, LOCK_EX) }
        defer {
            if lockFile >= 0 {
                flock(lockFile, LOCK_UN)
                Glibc.close(lockFile)
            }
        }
        do {
            let migrator = Schema.migrator
            // Checked through a read-only connection first: a file that is refused is never written, not
            // even by the checkpoint a writable connection makes when it closes.
            if FileManager.default.fileExists(atPath: path) {
                var readOnly = Configuration()
                readOnly.readonly = true
                readOnly.busyMode = .timeout(60)
                try retryingBusy {
                    let probe = try DatabaseQueue(path: path, configuration: readOnly)
                    try probe.read { db in try check(db, path: path, migrator: migrator) }
                    try probe.close()
                }
            }
            let database = try retryingBusy {
                let database = try DatabasePool(path: path, configuration: configuration)
                try migrator.migrate(database)
                return database
            }
            return StateStore(path: path, lease: lease, database: database)
        } catch let error as StoreError {
            throw error
        } catch {
            throw explain(error, path: path)
        }
    }

    /// Runs `body` again while SQLite answers "busy" without waiting (it does so while another connection
    /// switches the file to WAL or recovers it), for up to about two seconds.
    private static func retryingBusy<T>(_ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            do {
                return try body()
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && attempt < 100 {
                attempt += 1
                usleep(useconds_t(10_000 + Int.random(in: 0..<20_000)))
            }
        }
    }

    /// Refuses another program's database and a schema from a newer Lander.
    private static func check(_ db: Database, path: String, migrator: DatabaseMigrator) throws {
        let known = try db.tableExists("grdb_migrations")
        let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
        if !known && tables > 0 {
            throw StoreError(
                .unusable,
                "\(path) is an SQLite database but not a Lander state store; point --state (or LANDER_STATE) "
                    + "at another file. Nothing was changed.")
        }
        if known, try migrator.hasBeenSuperseded(db) {
            throw StoreError(
                .unusable,
                "\(path) was written by a newer Lander (its schema has changes this lander does not know); "
                    + "use the newer lander, or another --state file. Nothing was changed.")
        }
    }

    /// Refuses, before SQLite touches it, a non-empty file that does not start like an SQLite database.
    private static func checkHeader(_ path: String) throws(StoreError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if header.isEmpty { return }
        if header != Data("SQLite format 3\0".utf8) {
            throw StoreError(
                .unusable,
                "\(path) is not a Lander state store (it is not an SQLite database); move it aside or point --state "
                    + "(or LANDER_STATE) at another file. Nothing was changed.")
        }
    }

    /// Turns an SQLite failure into what happened to the store and what to do.
    static func explain(_ error: any Error, path: String) -> StoreError {
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                return StoreError(
                    .unusable,
                    "the state store \(path) is damaged (\(error.message ?? "corrupt")); keep a copy, then try "
                        + "`sqlite3 \(path) .recover` or move it aside. Nothing was changed.")
            case .SQLITE_FULL:
                return StoreError(.failed, "the disk holding the state store \(path) is full; free space and run again")
            case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN:
                return StoreError(
                    .unusable,
                    "the state store \(path) cannot be written (\(error.message ?? "read-only")); check its "
                        + "permissions and those of its directory")
            default:
                let during = error.sql.map { " (during `\($0.prefix(60))`)" } ?? ""
                return StoreError(.failed, "the state store \(path) failed: \(error.message ?? "\(error)")\(during)")
            }
        }
        if let error = error as? StoreError { return error }
        return StoreError(.failed, "the state store \(path) failed: \(error)")
    }

    /// Runs a write transaction, with SQLite's errors explained.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            // IMMEDIATE: the write lock is taken (waiting its turn) before anything is read, so a
            // transaction never finds its snapshot stale when it comes to write.
            return try database.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw StoreError(.failed, "the state store \(path) returned nothing") }
                return result
            }
        } catch {
            throw Self.explain(error, path: path)
        }
    }

    /// Runs a read, with SQLite's errors explained.
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw Self.explain(error, path: path)
        }
    }

    /// Seconds since 1970, as the store keeps times.
    static var now: Double { Date().timeIntervalSince1970 }

    /// Whether a process recorded on this machine is gone (another machine's processes are judged by lease).
    func isGone(pid: Int64, host recordedHost: String) -> Bool {
        guard recordedHost == host, pid > 0 else { return false }
        if kill(pid_t(pid), 0) == 0 { return Self.isZombie(pid_t(pid)) }
        return errno == ESRCH
    }

    private static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// The lease in seconds.
    var leaseSeconds: Double {
        lease.seconds
    }
}
