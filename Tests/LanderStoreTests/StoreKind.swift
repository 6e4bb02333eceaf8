import Foundation
import LanderTesting
import Testing

@testable import LanderStore

/// The stores the conformance suite runs against: an SQLite file, and a database of its own on a real
/// PostgreSQL server the test process started.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// A place for a new, empty store: a file's path or a database's URL.
    func location() async throws -> String {
        switch self {
        case .sqlite: try StateStoreTests.scratchPath()
        case .postgres: try await TestPostgres.shared().freshDatabase()
        }
    }

    /// A new, empty store.
    func open(lease: Duration = .seconds(15)) async throws -> StateStore {
        try StateStore.open(at: await location(), lease: lease)
    }
}

extension StateStore {
    /// Runs SQL in a write transaction, as another process would change the store.
    func raw(_ sql: String) throws {
        try transaction { transaction in try transaction.execute(sql, []) }
    }
}
