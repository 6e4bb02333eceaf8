import Foundation
import GRDB

/// A value a query binds or a row holds, in the types both stores keep (decision 0018: times are seconds
/// since 1970 as reals, lists are text).
public enum SQLValue: Sendable, Hashable {
    /// No value.
    case null
    /// A whole number.
    case integer(Int64)
    /// A real number.
    case real(Double)
    /// Text.
    case text(String)
}

/// What a query can bind.
public protocol SQLBindable {
    /// The value bound.
    var sqlValue: SQLValue { get }
}

extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .real(self) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { map(\.sqlValue) ?? .null }
}

/// A row read back, by column name.
struct SQLRow {
    let values: [String: SQLValue]

    /// A text column (nil when null or absent).
    func text(_ column: String) -> String? {
        switch values[column] {
        case .text(let text): text
        case .integer(let number): String(number)
        case .real(let number): String(number)
        default: nil
        }
    }

    /// A real column (integers read as reals).
    func real(_ column: String) -> Double? {
        switch values[column] {
        case .real(let number): number
        case .integer(let number): Double(number)
        default: nil
        }
    }

    /// A whole-number column.
    func integer(_ column: String) -> Int64? {
        switch values[column] {
        case .integer(let number): number
        case .real(let number): Int64(number)
        default: nil
        }
    }

    /// A time column (seconds since 1970).
    func date(_ column: String) -> Date? { real(column).map(Date.init(timeIntervalSince1970:)) }
}

/// The store's only way to SQL inside one transaction or read, so that the same queries run on SQLite and
/// PostgreSQL (decision 0018). Queries use `?` placeholders and SQL both databases read.
protocol SQLTransaction {
    /// Runs a statement; how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int
    /// The rows a query returns.
    func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [SQLRow]
}

extension SQLTransaction {
    /// The first row a query returns.
    func row(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> SQLRow? {
        try rows(sql, arguments).first
    }
}

/// SQLite through GRDB.
struct SQLiteTransaction: SQLTransaction {
    let database: Database

    func execute(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int {
        try database.execute(sql: sql, arguments: Self.arguments(arguments))
        return database.changesCount
    }

    func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [SQLRow] {
        try Row.fetchAll(database, sql: sql, arguments: Self.arguments(arguments)).map { row in
            var values: [String: SQLValue] = [:]
            for (column, value) in row {
                switch value.storage {
                case .null, .blob: values[column] = .null
                case .int64(let number): values[column] = .integer(number)
                case .double(let number): values[column] = .real(number)
                case .string(let text): values[column] = .text(text)
                }
            }
            return SQLRow(values: values)
        }
    }

    static func arguments(_ values: [any SQLBindable]) -> StatementArguments {
        StatementArguments(
            values.map { value -> DatabaseValue in
                switch value.sqlValue {
                case .null: .null
                case .integer(let number): number.databaseValue
                case .real(let number): number.databaseValue
                case .text(let text): text.databaseValue
                }
            })
    }
}

extension StateStore {
    /// A write transaction through the executor seam.
    @discardableResult
    func transaction<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T {
        try write { db in try body(SQLiteTransaction(database: db)) }
    }

    /// A read through the executor seam.
    func reading<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T {
        try read { db in try body(SQLiteTransaction(database: db)) }
    }
}
