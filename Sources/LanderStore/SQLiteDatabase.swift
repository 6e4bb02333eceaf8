import Foundation
import GRDB
import Synchronization

/// The embedded database: one SQLite file (WAL) through GRDB, shared by every Lander process that opens it.
final class SQLiteDatabase: SQLDatabase {
    let location: String
    private let pool: DatabasePool
    /// A connection of its own, opened when first needed, that only asks whether others committed.
    private let watcher = Mutex<DatabaseQueue?>(nil)

    private init(path: String, pool: DatabasePool) {
        self.location = path
        self.pool = pool
    }

    /// Opens (or creates) the file at `path`. A file that is not a Lander store, is damaged, or was moved
    /// to a newer schema by a newer Lander is refused with what to do, and never written.
    static func open(at path: String) throws(StoreError) -> SQLiteDatabase {
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
            let pool = try retryingBusy {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try migrator.migrate(pool)
                return pool
            }
            return SQLiteDatabase(path: path, pool: pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw explain(error, path: path)
        }
    }

    func write<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T {
        do {
            // IMMEDIATE: the write lock is taken (waiting its turn) before anything is read, so a
            // transaction never finds its snapshot stale when it comes to write.
            return try pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(SQLiteTransaction(database: db))
                    return .commit
                }
                guard let result else { throw StoreError(.failed, "the state store \(location) returned nothing") }
                return result
            }
        } catch {
            throw Self.explain(error, path: location)
        }
    }

    func read<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.read { db in try body(SQLiteTransaction(database: db)) }
        } catch {
            throw Self.explain(error, path: location)
        }
    }

    /// SQLite's `data_version` on a connection that never writes.
    func generation() -> Int64? {
        watcher.withLock { watcher in
            if watcher == nil {
                var configuration = Configuration()
                configuration.readonly = true
                configuration.busyMode = .timeout(5)
                watcher = try? DatabaseQueue(path: location, configuration: configuration)
            }
            return try? watcher?.inDatabase { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") }
        }
    }

    func close() {
        try? pool.close()
    }

    /// The rows of a table in the order they were written (`lander store migrate` copies them).
    func tableRows(_ table: String) throws(StoreError) -> [SQLRow] {
        try read { sql in try sql.rows("SELECT rowid AS rowid, * FROM \(table) ORDER BY rowid", []) }
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
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else {
            return StoreError(.failed, "the state store \(path) failed: \(error)")
        }
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
}

/// SQLite through GRDB; each statement compiled once per connection and reused.
struct SQLiteTransaction: SQLTransaction {
    let database: Database

    @discardableResult
    func execute(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int {
        try database.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        return database.changesCount
    }

    func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [SQLRow] {
        let statement = try database.cachedStatement(sql: sql)
        let columns = statement.columnNames.map { $0.lowercased() }
        return try Row.fetchAll(statement, arguments: Self.arguments(arguments)).map { row in
            SQLRow(
                columns: columns,
                values: row.databaseValues.map { value in
                    switch value.storage {
                    case .null, .blob: .null
                    case .int64(let number): .integer(number)
                    case .double(let number): .real(number)
                    case .string(let text): .text(text)
                    }
                })
        }
    }

    /// GRDB's arguments, through its initializer of optional existentials (its generic one maps with a key
    /// path, which costs a run-time lookup per value: a third of the journal's time on SQLite).
    static func arguments(_ values: [any SQLBindable]) -> StatementArguments {
        StatementArguments(
            values.map { value -> (any DatabaseValueConvertible)? in
                switch value.sqlValue {
                case .null: nil
                case .integer(let number): number
                case .real(let number): number
                case .text(let text): text
                }
            })
    }
}
