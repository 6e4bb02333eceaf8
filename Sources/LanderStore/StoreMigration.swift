import Foundation

/// `lander store migrate --to postgres://…`: an embedded store's whole history copied into an empty
/// PostgreSQL store, in one transaction (a copy that fails leaves the database as it was).
public enum StoreMigration {
    /// How many rows of each table were copied, in copy order.
    public typealias Counts = [(table: String, rows: Int)]

    /// Copies every table of the SQLite store at `path` into the PostgreSQL store at `url`. Refuses a
    /// destination that already holds deployments or releases, and a source that is not an SQLite store.
    public static func copy(from path: String, to url: String) throws(StoreError) -> Counts {
        guard !PostgresDatabase.isURL(path) else {
            throw StoreError(.unusable, "the store to copy from must be an SQLite file (--state), not \(path)")
        }
        guard PostgresDatabase.isURL(url) else {
            throw StoreError(.unusable, "--to must be a postgres:// URL (got \(PostgresDatabase.redacted(url)))")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.notFound, "there is no store at \(path) to copy; give it with --state")
        }
        let source = try SQLiteDatabase.open(at: path)
        defer { source.close() }
        let destination = try PostgresDatabase.open(url: url)
        defer { destination.close() }
        var tables: [(String, [SQLRow])] = []
        for table in PostgresSchema.tables { tables.append((table, try source.tableRows(table))) }
        return try destination.write { sql in
            let held = try sql.integer("SELECT (SELECT count(*) FROM deployment) + (SELECT count(*) FROM release)") ?? 0
            guard held == 0 else {
                throw StoreError(
                    "the store at \(destination.location) already holds history; copy into an empty database "
                        + "(nothing was changed)")
            }
            var counts: Counts = []
            for (table, rows) in tables {
                try insert(rows, into: table, sql)
                counts.append((table, rows.count))
            }
            return counts
        }
    }

    /// Inserts rows into a table, the columns both stores have, many rows a statement; then moves the
    /// table's identity columns past the highest value copied.
    private static func insert(_ rows: [SQLRow], into table: String, _ sql: any SQLTransaction) throws {
        let identities = try sql.rows(
            """
            SELECT column_name, is_identity FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position
            """, [table])
        let known = Set(identities.map { $0.string(0) })
        if let first = rows.first {
            let columns = first.columns.filter(known.contains)
            let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
            let header = "INSERT INTO \(table) (\(columns.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES "
            let perStatement = max(1, 30_000 / max(columns.count, 1))
            var start = 0
            while start < rows.count {
                let batch = rows[start..<min(start + perStatement, rows.count)]
                let arguments: [any SQLBindable] = batch.flatMap { row in columns.map { row.value($0) } }
                try sql.execute(
                    header + Array(repeating: placeholders, count: batch.count).joined(separator: ", "), arguments)
                start += perStatement
            }
        }
        for column in identities where column.string(1) == "YES" {
            let name = column.string(0)
            try sql.execute(
                """
                SELECT setval(pg_get_serial_sequence('\(table)', '\(name)'),
                  COALESCE((SELECT MAX("\(name)") FROM \(table)), 0) + 1, false)
                """, [])
        }
    }
}
