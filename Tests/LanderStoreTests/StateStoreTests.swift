import Foundation
import GRDB
import LanderEngine
import LanderModel
import LanderTesting
import Synchronization
import Testing

@testable import LanderStore

/// What only an SQLite file does: refusals of files that are not (or no longer) ours.
@Suite struct StateStoreTests {
    static func scratchPath() throws -> String {
        try Scratch().url.appendingPathComponent("state.db").path
    }

    static func begin(_ store: StateStore, id: String = "d1", project: String = "shop") throws {
        try store.begin(
            NewDeployment(
                id: id, project: project, environment: "prod", version: "1", variables: ["a": .int(1)],
                projectFile: "/nowhere/lander.yml", pluginPath: []))
    }

    /// Runs SQL on the file directly, the way another program (or a newer Lander) would.
    static func sqlite(_ path: String, _ sql: String) {
        guard let database = try? DatabaseQueue(path: path) else { return }
        try? database.writeWithoutTransaction { try $0.execute(sql: sql) }
    }

    @Test func aStoreMovedToANewerSchemaIsRefusedAndLeftAlone() async throws {
        let path = try Self.scratchPath()
        try Self.begin(try StateStore.open(at: path))
        Self.sqlite(path, "INSERT INTO grdb_migrations VALUES ('9-from-the-future'); PRAGMA wal_checkpoint(TRUNCATE);")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { try StateStore.open(at: path) }
        #expect(error?.description.contains("written by a newer Lander") == true)
        let after = try Data(contentsOf: URL(fileURLWithPath: path))
        let changed = zip(before, after).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(after == before, "bytes \(changed.prefix(10)) of \(before.count)→\(after.count) changed")
    }

    @Test func anotherProgramsDatabaseIsRefused() async throws {
        let path = try Self.scratchPath()
        Self.sqlite(path, "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
        let error = #expect(throws: StoreError.self) { try StateStore.open(at: path) }
        #expect(error?.description.contains("not a Lander state store") == true)
    }

    @Test func aDamagedStoreGivesAClearErrorAndIsNotRewritten() async throws {
        let path = try Self.scratchPath()
        let store = try StateStore.open(at: path)
        for index in 0..<50 { try Self.begin(store, id: "d\(index)", project: "p\(index)") }
        Self.sqlite(path, "PRAGMA wal_checkpoint(TRUNCATE);")
        // Scribble over every page after the header page.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for index in stride(from: 4096, to: bytes.count, by: 1) { bytes[index] = 0x5A }
        try bytes.write(to: URL(fileURLWithPath: path))
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")
        let error = #expect(throws: StoreError.self) {
            let reopened = try StateStore.open(at: path)
            _ = try reopened.deployments()
        }
        #expect(error?.description.contains("is damaged") == true, "\(String(describing: error))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    }
}

/// A value set from another task.
final class Waited: Sendable {
    private let state = Mutex<String?>(nil)
    var value: String? { state.withLock { $0 } }
    func set(_ text: String) { state.withLock { $0 = text } }
}

/// Indexes in the order they arrived.
final class Order: Sendable {
    private let state = Mutex<[Int]>([])
    var values: [Int] { state.withLock { $0 } }
    func append(_ value: Int) { state.withLock { $0.append(value) } }
}
