import Foundation
import LanderEngine
import LanderModel
import LanderTesting
import Testing

@testable import LanderStore

/// The rest of the store's contract, on both stores: history, releases, resume, the queue, tokens, the
/// outbox, schedules, agents and phone-home records read back as they were written.
@Suite(.serialized, .onWaitingThreads) struct StoreContractTests {
    static func deployment(_ id: String, project: String = "shop", environment: String = "prod", version: String = "1")
        -> NewDeployment
    {
        NewDeployment(
            id: id, project: project, environment: environment, version: version,
            packages: [ResolvedPackage(id: "app", version: version, file: "app.tgz", sha256: "ab", feed: "feed")],
            variables: ["a": .int(1), "b": .string("two")], projectFile: "/nowhere/lander.yml", pluginPath: ["p"])
    }

    @Test(arguments: StoreKind.allCases) func historyReadsBackNewestFirstByIDAndPrefix(kind: StoreKind) async throws {
        let store = try await kind.open()
        for index in 1...5 { try store.begin(Self.deployment("2026-\(index)-abc", version: "\(index)")) }
        try store.raw("UPDATE deployment SET status = 'succeeded'")
        let all = try store.deployments(project: "shop", environment: "prod")
        #expect(all.map(\.version) == ["5", "4", "3", "2", "1"])
        #expect(all.first?.packages.first?.id == "app" && all.first?.variables["b"] == .string("two"))
        #expect(all.first?.pluginPath == ["p"] && all.first?.user.isEmpty == false)
        let page = try store.deployments(project: "shop", limit: 2, before: "2026-4-abc")
        #expect(page.map(\.version) == ["3", "2"])
        #expect(try store.deployment("2026-3").version == "3")
        let ambiguous = #expect(throws: StoreError.self) { try store.deployment("2026-") }
        #expect(ambiguous?.description.contains("more than one") == true)
        let missing = #expect(throws: StoreError.self) { try store.deployment("nope") }
        #expect(missing?.kind == .notFound)
        #expect(try store.current(project: "shop", environment: "prod")?.version == "5")
        #expect(try store.rollbackTarget(project: "shop", environment: "prod", version: nil)?.version == "4")
        let window = try store.deployments(from: Date(timeIntervalSinceNow: -60), to: Date(timeIntervalSinceNow: 60))
        #expect(window.map(\.version) == ["1", "2", "3", "4", "5"])
    }

    @Test(arguments: StoreKind.allCases) func releasesNeverChange(kind: StoreKind) async throws {
        let store = try await kind.open()
        let packages = [ResolvedPackage(id: "app", version: "2.0", file: "app.tgz", sha256: "cd", feed: "feed")]
        try store.createRelease(project: "shop", version: "2.0", packages: packages)
        let again = #expect(throws: StoreError.self) {
            try store.createRelease(project: "shop", version: "2.0", packages: [])
        }
        #expect(again?.description.contains("already exists") == true)
        #expect(try store.release(project: "shop", version: "2.0")?.first?.sha256 == "cd")
        #expect(try store.release(project: "shop", version: "9") == nil)
        #expect(try store.releases(project: "shop").map(\.version) == ["2.0"])
    }

    @Test(arguments: StoreKind.allCases) func anInterruptedDeploymentIsResumedOrAbandonedBeforeAnother(
        kind: StoreKind
    ) async throws {
        let store = try await kind.open(lease: .seconds(1))
        try store.begin(Self.deployment("d1"))
        let journal = StoreJournal(store: store, deploymentID: "d1")
        journal.record(.targetStarted(step: "s", task: "t", target: "web-1"))
        journal.record(.output(step: "s", task: "t", target: "web-1", line: "hello", isError: false))
        journal.recordOutputs(["out": .string("x")], for: TargetStepKey(step: "s", task: "t", target: "web-1"))
        journal.record(
            .targetFinished(
                step: "s", task: "t", target: "web-1", outcome: .succeeded, duration: .milliseconds(3), exitCode: 0))
        try await journal.flush()
        journal.close()
        // Its process on another machine stopped renewing the heartbeat.
        try store.raw("UPDATE deployment SET host = 'elsewhere', heartbeat_at = heartbeat_at - 60")
        #expect(try store.deployment("d1").status == "interrupted")
        let refused = #expect(throws: StoreError.self) { try store.begin(Self.deployment("d2")) }
        #expect(refused?.description.contains("lander resume d1") == true)
        let point = try store.resumePoint(of: "d1")
        #expect(point.finished[TargetStepKey(step: "s", task: "t", target: "web-1")]?.outputs["out"] == .string("x"))
        #expect(point.lastSequence == 3)
        #expect(try store.claimForResume("d1").status == "running")
        try store.raw("UPDATE deployment SET heartbeat_at = heartbeat_at - 60")
        #expect(try store.abandon("d1", reason: "gone for good").status == "abandoned")
        try store.begin(Self.deployment("d2"))
        #expect(try store.logs(of: "d1").map(\.line) == ["hello"])
        #expect(try store.logTail(of: "d1", limit: 10).total == 1)
    }

    @Test(arguments: StoreKind.allCases) func theQueueHandsAnEntryOutOnceAndTokensAreKeptByHash(kind: StoreKind)
        async throws
    {
        let store = try await kind.open()
        let entry = QueuedDeployment(
            id: "q1", request: "{}", project: "shop", environment: "prod", requestedBy: "ci", queuedAt: Date())
        try store.enqueue(entry, version: "3")
        #expect(try store.queued().map(\.id) == ["q1"])
        #expect(try store.dequeue("q1", state: "started"))
        #expect(try !store.dequeue("q1", state: "started"), "an entry starts once")
        #expect(try store.events(after: 0).map(\.kind) == ["queued"])
        let token = APITokenRecord(
            id: "t1", name: "ci", role: "deployer", project: "shop", environment: nil, createdAt: Date(),
            revokedAt: nil)
        try store.addToken(token, hash: "hash-1")
        #expect(try store.token(hash: "hash-1")?.project == "shop")
        #expect(try store.revokeToken("ci"))
        #expect(try store.token(hash: "hash-1")?.revokedAt != nil)
        #expect(try store.tokens().count == 1)
    }

    @Test(arguments: StoreKind.allCases) func theOutboxDeliversEachKeyOnceAndFencesLapsedClaims(kind: StoreKind)
        async throws
    {
        let store = try await kind.open()
        try store.begin(Self.deployment("d1"))
        let cursors = try store.cursors(for: ["hooks"])
        #expect(cursors["hooks"] == (try store.lastEventID()), "a new subscription is not sent history")
        let delivery = NewDelivery(
            subscription: "hooks", channel: "webhook", key: "hooks/d1/1", eventKind: "deployment_failed",
            deployment: "d1", body: "{}", groupKey: "2.0")
        #expect(try store.enqueue([delivery, delivery], advancing: ["hooks": 99]) == 1)
        #expect(try store.enqueue([delivery]) == 0, "a group key fires once")
        #expect(try store.cursors(for: ["hooks"])["hooks"] == 99)
        let claimed = try store.claimDueDeliveries(owner: "a", lease: .seconds(30), limit: 10)
        #expect(claimed.map(\.key) == ["hooks/d1/1"])
        #expect(try store.claimDueDeliveries(owner: "b", lease: .seconds(30), limit: 10).isEmpty)
        #expect(try store.nextPendingDelivery() != nil)
        #expect(try !store.finish(delivery: claimed[0].id, owner: "b", .delivered), "only the claim's holder")
        #expect(try store.finish(delivery: claimed[0].id, owner: "a", .dead("410 Gone")))
        #expect(try store.deliveries(failed: true).map(\.lastError) == ["410 Gone"])
        #expect(try store.replay(delivery: claimed[0].id))
        #expect(try store.delivery(claimed[0].id)?.state == "pending")
        #expect(try !store.stillWaiting(deployment: "d1", lock: "db"))
    }

    @Test(arguments: StoreKind.allCases) func aSchedulesDueTimeIsClaimedOnceAcrossStores(kind: StoreKind) async throws {
        let location = try await kind.location()
        let stores = try (0..<4).map { _ in try StateStore.open(at: location) }
        let due = Date(timeIntervalSince1970: 1_800_000_000)
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for store in stores { group.addTask { try store.claim(schedule: "nightly", dueAt: due) } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        try stores[0].finish(schedule: "nightly", dueAt: due, outcome: "succeeded", detail: "ok", deployment: nil)
        #expect(try stores[1].scheduleRuns("nightly").map(\.outcome) == ["succeeded"])
    }

    @Test(arguments: StoreKind.allCases) func anAgentEnrolsOnceAndEveryRefusalIsAudited(kind: StoreKind) async throws {
        let store = try await kind.open()
        try store.createEnrollment(tokenHash: "h", environment: "prod", roles: ["web", "db"], lifetime: .seconds(60))
        let agent = try store.enroll(tokenHash: "h", name: "edge-1", publicKey: "key")
        #expect(agent.roles == ["web", "db"])
        #expect(throws: AgentRefusal.self) { try store.enroll(tokenHash: "h", name: "edge-2", publicKey: "key") }
        try store.agentSeen("edge-1")
        #expect(try store.agent("edge-1")?.lastSeenAt != nil)
        #expect(try store.revokeAgent("edge-1"))
        #expect(try store.agents().first?.revokedAt != nil)
        #expect(try store.agentAudit().map(\.outcome) == ["revoked", "refused", "enrolled"])
    }

    @Test(arguments: StoreKind.allCases) func anAgentsSignatureIsTakenOnceByAllServersOfAStore(kind: StoreKind)
        async throws
    {
        // Two servers on one store: a connection's signed headers replayed to the other server are refused.
        let location = try await kind.location()
        let (one, other) = (try StateStore.open(at: location), try StateStore.open(at: location))
        #expect(try one.firstUse(ofSignature: "sig-1", forgetAfter: 360))
        #expect(try !other.firstUse(ofSignature: "sig-1", forgetAfter: 360))
        #expect(try other.firstUse(ofSignature: "sig-2", forgetAfter: 360))
        // Once its time would be refused anyway, a signature is forgotten (the table does not grow).
        try one.raw("UPDATE agent_signature SET at = at - 400 WHERE signature = 'sig-1'")
        #expect(try other.firstUse(ofSignature: "sig-3", forgetAfter: 360))
        let kept = try one.reading { sql in try sql.rows("SELECT signature FROM agent_signature", []) }
        #expect(Set(kept.map { $0.string(0) }) == ["sig-2", "sig-3"])
    }

    @Test(arguments: StoreKind.allCases) func phoneHomeGrantsAndTheirAuditReadBack(kind: StoreKind) async throws {
        let store = try await kind.open()
        try store.recordGrants([(hash: "g", target: "web-1", jobs: ["a", "b"])], deployment: "d1")
        #expect(try store.grant(hash: "g")?.jobs == ["a", "b"])
        try store.endGrants(of: "d1")
        #expect(try store.grant(hash: "g")?.ended != nil)
        try store.audit(
            CallAudit(deployment: "d1", target: "web-1", job: "a", status: 200, outcome: "called", detail: nil))
        #expect(try store.audits(of: "d1").map(\.status) == [200])
        #expect(try store.audits(of: nil).count == 1)
    }
}
