import Foundation
public import LanderModel

/// The state store: records deployments and serves locks to every Lander process and project that points
/// at it — one SQLite file (WAL) embedded, or a PostgreSQL database several servers share (decision 0018).
public final class StateStore: Sendable {
    /// Where it is: the file's path, or the PostgreSQL URL without its password.
    public let path: String
    /// How long a lock or a running deployment stays claimed without a heartbeat.
    public let lease: Duration
    let database: any SQLDatabase
    /// This machine's name, recorded with every claim and deployment.
    let host: String

    /// A store over an opened database (tests open PostgreSQL with settings of their own).
    init(database: any SQLDatabase, lease: Duration) {
        self.path = database.location
        self.lease = lease
        self.database = database
        self.host = ProcessInfo.processInfo.hostName
    }

    /// Opens (or creates) the store at `location`: an SQLite file's path, or a `postgres://` URL of a
    /// PostgreSQL database several servers share. A store that is not a Lander store, is damaged, or was
    /// moved to a newer schema by a newer Lander is refused with what to do, and never written.
    public static func open(at location: String, lease: Duration = .seconds(15)) throws(StoreError) -> StateStore {
        let database: any SQLDatabase =
            if PostgresDatabase.isURL(location) {
                try PostgresDatabase.open(url: location)
            } else {
                try SQLiteDatabase.open(at: location)
            }
        return StateStore(database: database, lease: lease)
    }

    /// Whether a store is there to read: a PostgreSQL URL always is; a file, once made.
    public static func exists(at location: String) -> Bool {
        PostgresDatabase.isURL(location) || FileManager.default.fileExists(atPath: location)
    }

    /// A store's location as messages show it: a PostgreSQL URL without its password.
    public static func redacted(_ location: String) -> String {
        PostgresDatabase.isURL(location) ? PostgresDatabase.redacted(location) : location
    }

    /// Lets the store's connections go (a PostgreSQL store's sockets; SQLite's file handles).
    public func close() {
        database.close()
    }

    /// Whether the store is a shared PostgreSQL database rather than an embedded file.
    public var isShared: Bool { database is PostgresDatabase }

    /// Where tasks that call this store should run: a PostgreSQL store's calls may wait out an outage (up
    /// to its reconnect window), so on threads that may wait (`WaitingExecutor`), never holding the
    /// cooperative pool; an SQLite file's calls are short, and nil keeps them on the pool.
    public var executor: WaitingExecutor? { isShared ? WaitingExecutor.shared : nil }

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
