import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// A PostgreSQL database several Lander servers share (postgres-nio). The store's contract is kept as on
/// SQLite (decision 0018): writers go one at a time (a transaction-scoped advisory lock, as SQLite's
/// IMMEDIATE transactions), a read sees one snapshot, and a call waits for its answer on the calling
/// thread while only NIO's event loops do the work. A connection lost (the server restarted) is replaced
/// and the transaction run again, for up to `reconnectWindow`.
final class PostgresDatabase: SQLDatabase {
    let location: String
    let configuration: PostgresConnection.Configuration
    private let idle = Mutex<[PostgresConnection]>([])
    private let slots = DispatchSemaphore(value: PostgresDatabase.maximumConnections)
    private let nextID = Atomic<Int>(0)
    let logger = Logger(label: "lander.store.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// At most this many connections per process.
    static let maximumConnections = 8
    /// The event loops the store's connections live on, apart from every other NIO user of the process: a
    /// store call waits on its calling thread, and when that thread is an event loop of the HTTP server (an
    /// agent's upgrade is decided there) it must not wait on a future of its own loop (NIO stops the
    /// process: a deadlock otherwise).
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    /// The advisory lock every write transaction holds until it ends.
    static let writeLock: Int64 = 0x4C41_4E44_4552
    /// How long a transaction keeps trying while the database cannot be reached.
    static let reconnectWindow: Double = 60
    /// How long one statement's answer may take before its connection is counted as lost.
    let answerTimeout: TimeAmount

    private init(
        location: String, configuration: PostgresConnection.Configuration, answerTimeout: TimeAmount
    ) {
        self.location = location
        self.configuration = configuration
        self.answerTimeout = answerTimeout
    }

    deinit {
        close()
    }

    /// Whether `text` names a PostgreSQL database (`postgres://` or `postgresql://`).
    static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Connects to the database a URL names, brings its schema up to date and refuses a store a newer
    /// Lander wrote (nothing is changed then).
    static func open(url: String, answerTimeout: TimeAmount = .seconds(30)) throws(StoreError) -> PostgresDatabase {
        let (location, configuration) = try parse(url)
        let database = PostgresDatabase(
            location: location, configuration: configuration, answerTimeout: answerTimeout)
        try database.migrate()
        return database
    }

    /// The connection settings a URL gives: `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE`
    /// (`disable`, the default, or `require`).
    static func parse(_ url: String) throws(StoreError) -> (String, PostgresConnection.Configuration) {
        guard let parts = URLComponents(string: url), let host = parts.host, !host.isEmpty,
            let user = parts.user, !user.isEmpty
        else {
            throw StoreError(
                .unusable,
                "the store URL is not postgres://USER:PASSWORD@HOST:PORT/DATABASE (got \(redacted(url))); "
                    + "give --store (or `store:` in lander-workspace.yml) in that form")
        }
        let database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        let mode = parts.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresConnection.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "require":
            do {
                tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            } catch {
                throw StoreError(.unusable, "cannot set up TLS for the store at \(host): \(error)")
            }
        default:
            throw StoreError(.unusable, "sslmode=\(mode) in the store URL is not known; use disable or require")
        }
        // A password belongs in PGPASSWORD, not in a URL that process lists and files show.
        let password = parts.password ?? ProcessInfo.processInfo.environment["PGPASSWORD"]
        var configuration = PostgresConnection.Configuration(
            host: host, port: parts.port ?? 5432, username: user, password: password,
            database: database.isEmpty ? user : database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        let location = "postgres://\(user)@\(host):\(parts.port ?? 5432)/\(database.isEmpty ? user : database)"
        return (location, configuration)
    }

    /// A URL with its password left out, for messages.
    static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return "a malformed URL" }
        if parts.password != nil { parts.password = "…" }
        return parts.string ?? "a malformed URL"
    }

    func write<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T {
        try run(begin: ["BEGIN", "SELECT pg_advisory_xact_lock(\(Self.writeLock))"], kind: .write, body)
    }

    func read<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T {
        try run(begin: ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"], kind: .read, body)
    }

    /// A counter every write transaction moves on.
    func generation() -> Int64? {
        try? read { sql in try sql.integer("SELECT n FROM lander_generation") }
    }

    func close() {
        let connections = idle.withLock { connections in
            defer { connections = [] }
            return connections
        }
        for connection in connections { try? Self.block(on: connection.close()) }
    }

    /// Runs `body` in a transaction opened by `begin`, on a pooled connection, again on a fresh connection
    /// while the database cannot be reached (nothing was committed then), up to `reconnectWindow`. What a
    /// COMMIT whose answer was lost means depends on the `kind` of transaction (`TransactionKind`).
    func run<T>(begin: [String], kind: TransactionKind, _ body: (any SQLTransaction) throws -> T) throws(StoreError)
        -> T
    {
        let deadline = Date().addingTimeInterval(Self.reconnectWindow)
        var pause = 0.05
        while true {
            var unanswered: (result: T, xid: Int64)?
            do {
                return try withConnection { connection in
                    let transaction = PostgresTransaction(
                        connection: connection, logger: logger, answerTimeout: answerTimeout)
                    for statement in begin { try transaction.execute(statement, []) }
                    let xid = kind == .write ? try transaction.integer(Self.trackedStatement) : nil
                    let result: T
                    do {
                        result = try body(transaction)
                    } catch {
                        if !connection.isClosed { _ = try? transaction.execute("ROLLBACK", []) }
                        throw error
                    }
                    do {
                        try transaction.execute("COMMIT", [])
                    } catch {
                        if kind == .read { return result }
                        if let xid, Self.isConnectionLoss(error) { unanswered = (result, xid) }
                        throw error
                    }
                    return result
                }
            } catch {
                if let unanswered {
                    if try committed(unanswered.xid, until: deadline, cause: error) { return unanswered.result }
                } else if !Self.isConnectionLoss(error) || Date() >= deadline {
                    throw explain(error)
                }
                Thread.sleep(forTimeInterval: pause * Double.random(in: 0.5...1))
                pause = min(pause * 2, 2)
            }
        }
    }

    /// Lends a connection: an idle one, or a new one; a connection that failed is dropped.
    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        slots.wait()
        defer { slots.signal() }
        var pooled = idle.withLock { $0.popLast() }
        while let stale = pooled, stale.isClosed {
            _ = try? Self.block(on: stale.close())
            pooled = idle.withLock { $0.popLast() }
        }
        let connection = try pooled ?? connect()
        do {
            let result = try body(connection)
            idle.withLock { $0.append(connection) }
            return result
        } catch {
            if connection.isClosed || Self.isConnectionLoss(error) {
                _ = try? Self.block(on: connection.close())
            } else {
                idle.withLock { $0.append(connection) }
            }
            throw error
        }
    }

    private func connect() throws -> PostgresConnection {
        let id = nextID.add(1, ordering: .relaxed).newValue
        return try Self.block(
            on: PostgresConnection.connect(
                on: Self.eventLoops.any(), configuration: configuration, id: id, logger: logger))
    }

    /// Waits on the calling thread for a future of the store's own event loops. Unlike NIO's `wait()` it
    /// may be called on another event loop's thread (the HTTP server's, or a client's): the store's contract
    /// is synchronous on any thread, as SQLite's is, and its loops are never the caller's.
    static func block<Value: Sendable>(on future: EventLoopFuture<Value>) throws -> Value {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Value, any Error>?>(nil)
        future.whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        guard let result = outcome.withLock({ $0 }) else { throw AnswerTimeout(after: .zero) }
        return try result.get()
    }

    /// Whether an error says the database could not be reached or went away (rather than refusing a query).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            switch error.code {
            case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
                return true
            case .server:
                // 08: connection exceptions; 57P01–57P03: the server shuts down or is starting.
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
            default:
                return false
            }
        }
        return error is ChannelError || error is IOError || error is NIOConnectionError || error is AnswerTimeout
    }

    /// What a postgres-nio error says, without the query's arguments.
    static func message(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let state = info[.sqlState].map { " [\($0)]" } ?? ""
                return (info[.message] ?? "server error") + state
            }
            return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
        }
        return "\(error)"
    }

    /// Turns a failure into what happened to the store and what to do.
    func explain(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if Self.isConnectionLoss(error) {
            return StoreError(
                .unusable,
                "cannot reach the store at \(location) (\(Self.message(error))); check that PostgreSQL runs and "
                    + "the URL, user and password are right")
        }
        return StoreError(.failed, "the store at \(location) failed: \(Self.message(error))")
    }
}

/// One transaction on one PostgreSQL connection: `?` placeholders become `$n`, a null argument is written
/// as `NULL` in the query (PostgreSQL cannot tell an untyped null parameter's type in `? IS NULL`).
struct PostgresTransaction: SQLTransaction {
    let connection: PostgresConnection
    let logger: Logger
    /// How long one statement's answer may take.
    let answerTimeout: TimeAmount

    @discardableResult
    func execute(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int {
        try query(sql, arguments).metadata.rows ?? 0
    }

    func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [SQLRow] {
        let result = try query(sql, arguments)
        guard let first = result.rows.first else { return [] }
        let columns = first.map { $0.columnName.lowercased() }
        return result.rows.map { row in SQLRow(columns: columns, values: row.map(Self.value)) }
    }

    /// A statement's answer, waited for at most `answerTimeout`: a connection whose server went away
    /// without a word is closed then (as a lost connection) instead of holding its caller for ever.
    private func query(_ sql: String, _ arguments: [any SQLBindable]) throws -> PostgresQueryResult {
        let answer = connection.query(Self.query(sql, arguments), logger: logger)
        let promise = answer.eventLoop.makePromise(of: PostgresQueryResult.self)
        answer.cascade(to: promise)
        let connection = self.connection
        let timeout = answer.eventLoop.scheduleTask(in: answerTimeout) { [answerTimeout] in
            promise.fail(AnswerTimeout(after: answerTimeout))
            let closing: EventLoopFuture<Void> = connection.close()
            _ = closing
        }
        defer { timeout.cancel() }
        return try PostgresDatabase.block(on: promise.futureResult)
    }

    /// The query postgres-nio sends for a statement written with `?` placeholders.
    static func query(_ sql: String, _ arguments: [any SQLBindable]) -> PostgresQuery {
        var text = ""
        var bindings = PostgresBindings(capacity: arguments.count)
        var next = arguments.makeIterator()
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "?", let argument = next.next() {
                switch argument.sqlValue {
                case .null:
                    text += "NULL"
                    continue
                case .integer(let number): bindings.append(number)
                case .real(let number): bindings.append(number)
                case .text(let string): bindings.append(string)
                }
                text += "$\(bindings.count)"
                continue
            }
            text.append(character)
        }
        return PostgresQuery(unsafeSQL: text, binds: bindings)
    }

    /// A cell as one of the store's values.
    static func value(_ cell: PostgresCell) -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid:
            return (try? cell.decode(Int64.self)).map(SQLValue.integer) ?? .null
        case .float4, .float8:
            return (try? cell.decode(Double.self)).map(SQLValue.real) ?? .null
        case .bool:
            return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
        case .numeric:
            guard let decimal = try? cell.decode(Decimal.self) else { return .null }
            let number = NSDecimalNumber(decimal: decimal)
            return decimal == Decimal(number.int64Value) ? .integer(number.int64Value) : .real(number.doubleValue)
        default:
            return (try? cell.decode(String.self)).map(SQLValue.text) ?? .null
        }
    }
}

/// A statement whose answer did not come in time (its connection is closed and counted as lost).
struct AnswerTimeout: Error, CustomStringConvertible {
    /// How long it was waited for.
    var after: TimeAmount
    var description: String { "no answer within \(Double(after.nanoseconds) / 1e9) s" }
}
