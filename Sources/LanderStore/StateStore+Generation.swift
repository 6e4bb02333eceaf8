import GRDB

extension StateStore {
    /// A number that changes whenever any connection, of this process or another, commits to the store
    /// (SQLite's `data_version` on a connection that never writes); nil when it cannot be asked. What is read
    /// from the store and kept may be served again while it stays the same.
    public func generation() -> Int64? {
        watcher.withLock { watcher in
            if watcher == nil {
                var configuration = Configuration()
                configuration.readonly = true
                configuration.busyMode = .timeout(5)
                watcher = try? DatabaseQueue(path: path, configuration: configuration)
            }
            return try? watcher?.inDatabase { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") }
        }
    }
}
