import Foundation

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

extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }
extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int32: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .real(self) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    // A closure, not a key path: key paths through generic types are looked up at run time, per value.
    public var sqlValue: SQLValue { map { $0.sqlValue } ?? .null }
}

/// How a row's column is named: by its name (lower case, as written in the query) or its position.
protocol SQLColumnKey {
    /// Its position among `columns`, nil when absent.
    func position(in columns: [String]) -> Int?
}

extension String: SQLColumnKey {
    func position(in columns: [String]) -> Int? { columns.firstIndex(of: self) }
}

extension Int: SQLColumnKey {
    func position(in columns: [String]) -> Int? { self < columns.count ? self : nil }
}

/// A row read back, by column name or position.
struct SQLRow: Sendable {
    /// The columns' names, in order.
    let columns: [String]
    /// The values, in the columns' order.
    let values: [SQLValue]

    /// The value of a column (null when absent).
    func value(_ column: some SQLColumnKey) -> SQLValue {
        column.position(in: columns).map { values[$0] } ?? .null
    }

    /// A text column (nil when null or absent).
    func text(_ column: some SQLColumnKey) -> String? {
        switch value(column) {
        case .text(let text): text
        case .integer(let number): String(number)
        case .real(let number): String(number)
        case .null: nil
        }
    }

    /// A text column, empty when null.
    func string(_ column: some SQLColumnKey) -> String { text(column) ?? "" }

    /// A real column (integers read as reals).
    func real(_ column: some SQLColumnKey) -> Double? {
        switch value(column) {
        case .real(let number): number
        case .integer(let number): Double(number)
        case .text(let text): Double(text)
        case .null: nil
        }
    }

    /// A whole-number column.
    func integer(_ column: some SQLColumnKey) -> Int64? {
        switch value(column) {
        case .integer(let number): number
        case .real(let number): Int64(number)
        case .text(let text): Int64(text)
        case .null: nil
        }
    }

    /// A whole-number column as an `Int`, 0 when null.
    func int(_ column: some SQLColumnKey) -> Int { Int(integer(column) ?? 0) }

    /// A time column (seconds since 1970).
    func date(_ column: some SQLColumnKey) -> Date? { real(column).map(Date.init(timeIntervalSince1970:)) }

    /// A time column, the epoch when null.
    func time(_ column: some SQLColumnKey) -> Date { date(column) ?? Date(timeIntervalSince1970: 0) }
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

    /// The first column of the first row as a whole number (nil when none or null).
    func integer(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> Int64? {
        try row(sql, arguments)?.integer(0)
    }
}

/// The database behind a store: SQLite in a file, or PostgreSQL shared by several servers.
protocol SQLDatabase: Sendable {
    /// Where it is, as messages name it (never with a password).
    var location: String { get }
    /// Runs `body` in a write transaction; the store's writers go one at a time, on either database.
    func write<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T
    /// Runs `body` in a read that sees one moment of the store.
    func read<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T
    /// A number that changes whenever any process commits to the store; nil when it cannot be asked.
    func generation() -> Int64?
    /// Lets its connections go.
    func close()
}

extension StateStore {
    /// A write transaction through the executor seam.
    @discardableResult
    func transaction<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T {
        try database.write(body)
    }

    /// A read through the executor seam.
    func reading<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T {
        try database.read(body)
    }

    /// A number that changes whenever any connection, of this process or another, commits to the store;
    /// nil when it cannot be asked. What is read from the store and kept may be served again while it stays
    /// the same.
    public func generation() -> Int64? { database.generation() }
}
