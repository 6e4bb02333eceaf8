import Foundation
import LanderEngine
import LanderModel
import LanderTesting
import Testing

@testable import LanderStore

/// One contract, two stores: every test here runs on an SQLite file and on a real PostgreSQL database.
@Suite(.serialized, .onWaitingThreads) struct StoreConformanceTests {
    @Test(arguments: StoreKind.allCases) func aClaimWhoseLeaseRanOutIsTakenOver(kind: StoreKind) async throws {
        let store = try await kind.open(lease: .seconds(1))
        // A holder on another machine that stopped renewing: only its lease can end its claim.
        try store.raw(
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

    @Test(arguments: StoreKind.allCases)
    func aDeadHoldersClaimGuardingRemoteCommandsStaysUntilItsLeftoversAreReleased(kind: StoreKind) async throws {
        let store = try await kind.open(lease: .seconds(1))
        // A holder that died on another machine while its migration ran over SSH: the lease ran out, but
        // nobody here can see whether the migration still runs.
        try store.raw(
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

    @Test(arguments: StoreKind.allCases) func waitersAreServedInArrivalOrder(kind: StoreKind) async throws {
        let store = try await kind.open()
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

    @Test(arguments: StoreKind.allCases) func theJournalRecordsEveryEventDurablyInBatches(kind: StoreKind) async throws
    {
        let path = try await kind.location()
        let store = try StateStore.open(at: path)
        try StateStoreTests.begin(store)
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

    @Test(arguments: StoreKind.allCases) func aLeaseWhoseClaimWasTakenIsLostAndSaysSo(kind: StoreKind) async throws {
        let store = try await kind.open(lease: .seconds(1))
        let locks = StoreLocks(store: store, owner: "here")
        let lease = try await locks.acquire("db-schema", limit: 1, as: "here") { _ in }
        let lost = Counter()
        lease.onLost { lost.add() }
        try await Task.sleep(for: .milliseconds(800))
        #expect(!lease.isLost, "renewed while its claim is there")
        // Another process judged this one dead and took the lock: the next renewal finds the claim gone.
        try store.raw("DELETE FROM lock_claim")
        #expect(try await lost.reach(1))
        #expect(lease.isLost)
        lease.onLost { lost.add() }
        #expect(try await lost.reach(2), "a handler added after the loss is called at once")
        await lease.release()
    }
}
