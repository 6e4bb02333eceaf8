import Foundation
import GRDB
import LanderEngine
import LanderModel
import LanderTesting
import Synchronization
import Testing

@testable import LanderStore

/// The store against real SQLite files.
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

    @Test func aStoreMovedToANewerSchemaIsRefusedAndLeftAlone() throws {
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

    @Test func anotherProgramsDatabaseIsRefused() throws {
        let path = try Self.scratchPath()
        Self.sqlite(path, "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
        let error = #expect(throws: StoreError.self) { try StateStore.open(at: path) }
        #expect(error?.description.contains("not a Lander state store") == true)
    }

    @Test func aDamagedStoreGivesAClearErrorAndIsNotRewritten() throws {
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

    @Test func aClaimWhoseLeaseRanOutIsTakenOver() async throws {
        let path = try Self.scratchPath()
        let store = try StateStore.open(at: path, lease: .seconds(1))
        // A holder on another machine that stopped renewing: only its lease can end its claim.
        Self.sqlite(
            path,
            """
            INSERT INTO lock_claim (name, lim, holding, owner, pid, host, since, expires_at)
            VALUES ('db-schema', 1, 1, 'elsewhere', 1, 'other-host', \(StateStore.now), \(StateStore.now + 1.5));
            """)
        let locks = StoreLocks(store: store, owner: "here")
        let started = ContinuousClock.now
        let waited = Waited()
        let lease = try await locks.acquire("db-schema", limit: 1) { holders in waited.set(holders) }
        let elapsed = ContinuousClock.now - started
        #expect(waited.value?.contains("elsewhere (pid 1 on other-host)") == true)
        #expect(elapsed >= .seconds(1))
        let claims = try store.lockClaims()
        #expect(claims.map(\.owner) == ["here"])
        await lease.release()
        #expect(try store.lockClaims().isEmpty)
    }

    @Test func aDeadHoldersClaimGuardingRemoteCommandsStaysUntilItsLeftoversAreReleased() async throws {
        let path = try Self.scratchPath()
        let store = try StateStore.open(at: path, lease: .seconds(1))
        // A holder that died on another machine while its migration ran over SSH: the lease ran out, but
        // nobody here can see whether the migration still runs.
        Self.sqlite(
            path,
            """
            INSERT INTO lock_claim (name, lim, holding, owner, pid, host, since, expires_at, deployment_id,
              guard_run, guard_remote)
            VALUES ('db-schema', 1, 1, 'shop → prod', 1, 'other-host', \(StateStore.now - 60), \(StateStore.now - 30),
              'dead-1', 'dead-1/migrate/', 1);
            """)
        let locks = StoreLocks(store: store, owner: "here")
        await #expect(throws: StoreError.self) {
            _ = try await locks.acquire("db-schema", limit: 1, as: "here", wait: false) { _ in }
        }
        do {
            _ = try await locks.acquire("db-schema", limit: 1, as: "here", wait: false) { _ in }
        } catch {
            #expect("\(error)".contains("`lander resume dead-1` stops it"), "\(error)")
        }
        #expect(try store.lockClaims().map(\.owner) == ["shop → prod"], "lander status still shows the claim")
        #expect(try store.heldLeftovers(of: "dead-1").map(\.lock) == ["db-schema"])
        try store.releaseLeftovers(of: "dead-1")
        let lease = try await locks.acquire("db-schema", limit: 1, as: "here", wait: false) { _ in }
        await lease.release()
    }

    @Test func waitersAreServedInArrivalOrder() async throws {
        let path = try Self.scratchPath()
        let store = try StateStore.open(at: path)
        let locks = StoreLocks(store: store, owner: "test")
        let first = try await locks.acquire("queue", limit: 1) { _ in }
        let order = Order()
        var waiters: [_Concurrency.Task<Void, any Error>] = []
        for index in 0..<4 {
            waiters.append(
                _Concurrency.Task {
                    let lease = try await locks.acquire("queue", limit: 1, as: "w\(index)") { _ in }
                    order.append(index)
                    try await _Concurrency.Task.sleep(for: .milliseconds(20))
                    await lease.release()
                })
            // Each claims before the next.
            var waited = 0
            while try store.lockClaims().count < index + 2, waited < 200 {
                try await _Concurrency.Task.sleep(for: .milliseconds(5))
                waited += 1
            }
        }
        await first.release()
        for waiter in waiters { try await waiter.value }
        #expect(order.values == [0, 1, 2, 3])
    }

    @Test func theJournalRecordsEveryEventDurablyInBatches() async throws {
        let path = try Self.scratchPath()
        let store = try StateStore.open(at: path)
        try Self.begin(store)
        let journal = StoreJournal(store: store, deploymentID: "d1")
        for index in 0..<500 {
            let target = "t\(index)"
            journal.record(.targetStarted(step: "s", task: "s", target: target))
            journal.record(.output(step: "s", task: "s", target: target, line: "line \(index)", isError: false))
            journal.recordOutputs(
                ["stdout": .string("out \(index)")], for: TargetStepKey(step: "s", task: "s", target: target))
            journal.record(
                .targetFinished(
                    step: "s", task: "s", target: target, outcome: .succeeded, duration: .milliseconds(5), exitCode: 0))
        }
        journal.record(.deploymentFinished(outcome: .succeeded, duration: .seconds(1), error: nil))
        try await journal.flush()
        journal.close()
        // Another connection (another process, after a crash) sees all of it.
        let reopened = try StateStore.open(at: path)
        #expect(try reopened.targetSteps(of: "d1").count == 500)
        #expect(try reopened.logs(of: "d1").count == 500)
        #expect(try reopened.deployment("d1").status == "succeeded")
        let resume = try reopened.resumePoint(of: "d1")
        #expect(
            resume.finished[TargetStepKey(step: "s", task: "s", target: "t7")]?.outputs["stdout"] == .string("out 7"))
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
