import Foundation
import LanderEngine
import LanderModel
import LanderTesting
import Testing

@testable import LanderStore

/// What only the PostgreSQL store does: refusals of databases that are not (or no longer) ours, a URL
/// that cannot connect, and a server restart in the middle of a deployment's journal.
@Suite(.serialized, .onWaitingThreads) struct PostgresStoreTests {
    @Test func aStoreMovedToANewerSchemaIsRefusedAndLeftAlone() async throws {
        let server = try await TestPostgres.shared()
        let url = try await server.freshDatabase()
        try StateStoreTests.begin(try StateStore.open(at: url))
        try await server.psql("INSERT INTO lander_schema (name) VALUES ('99-from-the-future')", database: url)
        let error = #expect(throws: StoreError.self) { try StateStore.open(at: url) }
        #expect(error?.description.contains("written by a newer Lander") == true, "\(String(describing: error))")
        #expect(error?.kind == .unusable)
        // Nothing was changed: the generation counter every write moves is where the deployment left it.
        try await server.psql("DELETE FROM lander_schema WHERE name = '99-from-the-future'", database: url)
        let store = try StateStore.open(at: url)
        #expect(try store.deployments().map(\.id) == ["d1"])
    }

    @Test func anotherProgramsDatabaseIsRefused() async throws {
        let server = try await TestPostgres.shared()
        let url = try await server.freshDatabase()
        try await server.psql("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine')", database: url)
        let error = #expect(throws: StoreError.self) { try StateStore.open(at: url) }
        #expect(error?.description.contains("not a Lander state store") == true, "\(String(describing: error))")
    }

    @Test func aWrongPasswordOrAMalformedURLSaysSoWithoutThePassword() async throws {
        let server = try await TestPostgres.shared()
        let url = try await server.freshDatabase()
        let password = try #require(URLComponents(string: url)?.password)
        let wrong = url.replacingOccurrences(of: password, with: "not-\(password)")
        let error = #expect(throws: StoreError.self) { try StateStore.open(at: wrong) }
        #expect(error?.description.contains("password authentication failed") == true, "\(String(describing: error))")
        #expect(error?.description.contains(password) == false)
        let malformed = #expect(throws: StoreError.self) { try StateStore.open(at: "postgres://:secret@/x") }
        #expect(malformed?.description.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE") == true)
        #expect(malformed?.description.contains("secret") == false)
    }

    @Test func aServerRestartInTheMiddleOfAJournalLosesNothing() async throws {
        let server = try await TestPostgres.start()
        defer { server.stop() }
        let store = try StateStore.open(at: server.url)
        try StateStoreTests.begin(store)
        let journal = StoreJournal(store: store, deploymentID: "d1")
        for index in 0..<50 {
            journal.record(.output(step: "s", task: "s", target: "t", line: "before \(index)", isError: false))
        }
        try await journal.flush()
        await server.halt()
        // Events recorded while the server is down wait in the journal and reach the store once it is back.
        for index in 0..<50 {
            journal.record(.output(step: "s", task: "s", target: "t", line: "during \(index)", isError: false))
        }
        try await Task.sleep(for: .seconds(2))
        try await server.startAgain()
        try await journal.flush()
        journal.close()
        let lines = try store.logs(of: "d1").map(\.line)
        #expect(lines.count == 100)
        #expect(lines.last == "during 49")
        #expect(try store.deployment("d1").status == "running")
    }

    @Test func aQueuedRequestWakesAnotherProcessesListenerAlsoAfterTheServerRestarts() async throws {
        let server = try await TestPostgres.start()
        defer { server.stop() }
        let listening = try StateStore.open(at: server.url)
        let queueing = try StateStore.open(at: server.url)
        let wakes = Counter()
        let token = listening.onQueued { wakes.add() }
        #expect(token != nil)
        #expect(try await wakes.reach(1), "a wake once listening starts (anything queued before is looked for)")
        let entry = { (id: String) in
            QueuedDeployment(
                id: id, request: "{}", project: "shop", environment: "prod", requestedBy: "ci", queuedAt: Date())
        }
        try queueing.enqueue(entry("q1"))
        #expect(try await wakes.reach(2), "the other store's enqueue woke it")
        await server.halt()
        try await server.startAgain()
        #expect(try await wakes.reach(3), "a wake after the listening connection came back")
        try queueing.enqueue(entry("q2"))
        #expect(try await wakes.reach(4))
        #expect(try StateStore.open(at: StateStoreTests.scratchPath()).onQueued { wakes.add() } == nil)
        _ = token
    }
}
