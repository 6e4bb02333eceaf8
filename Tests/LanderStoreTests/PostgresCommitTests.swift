import Foundation
import LanderModel
import LanderTesting
import Testing

@testable import LanderStore

/// A write whose COMMIT went unanswered (the server restarted, or stopped answering): PostgreSQL is asked
/// what became of it, so a change that was kept is not made twice and one that was lost is made again —
/// neither is reported to the caller as "whether the change was kept is unknown".
@Suite(.serialized, .onWaitingThreads) struct PostgresCommitTests {
    @Test func aCommitKeptWhoseAnswerNeverCameStandsAndIsNotMadeAgain() async throws {
        let server = try await TestPostgres.shared()
        let url = try await server.freshDatabase()
        // The client gives up on the COMMIT after a second; the server keeps it three seconds later.
        let store = StateStore(database: try PostgresDatabase.open(url: url, answerTimeout: .seconds(1)), lease: .seconds(15))
        try await Self.slowFirstCommit(server, url)
        try store.enqueue(Self.entry("q1"))
        #expect(try store.queued().map(\.id) == ["q1"])
        #expect(try Self.commitsTried(store) == 1, "the kept transaction ran again")
    }

    @Test func aCommitLostWithItsSessionIsMadeAgain() async throws {
        let server = try await TestPostgres.shared()
        let url = try await server.freshDatabase()
        let store = StateStore(database: try PostgresDatabase.open(url: url, answerTimeout: .seconds(10)), lease: .seconds(15))
        try await Self.slowFirstCommit(server, url)
        let queued = Task.detached { try store.enqueue(Self.entry("q1")) }
        // The session is ended while its COMMIT runs, as a server shutting down ends it: nothing was kept.
        try await server.psql(
            """
            DO $$ BEGIN
              FOR i IN 1..200 LOOP
                IF EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep'
                           AND datname = current_database() AND pid <> pg_backend_pid()) THEN
                  PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep'
                    AND datname = current_database() AND pid <> pg_backend_pid();
                  RETURN;
                END IF;
                PERFORM pg_sleep(0.05);
              END LOOP;
              RAISE EXCEPTION 'no COMMIT waited in the trigger';
            END $$
            """, database: url)
        try await queued.value
        #expect(try store.queued().map(\.id) == ["q1"])
        #expect(try Self.commitsTried(store) == 2, "the lost transaction was not run again")
    }

    /// Makes the first COMMIT of an insert into the queue take four seconds (a deferred trigger; the
    /// sequence that counts the COMMITs tried is outside every transaction).
    static func slowFirstCommit(_ server: TestPostgres, _ url: String) async throws {
        try await server.psql(
            """
            CREATE SEQUENCE slow_commits;
            CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF nextval('slow_commits') = 1 THEN PERFORM pg_sleep(4); END IF;
              RETURN NULL;
            END $$;
            CREATE CONSTRAINT TRIGGER slow AFTER INSERT ON queued_deployment DEFERRABLE INITIALLY DEFERRED
              FOR EACH ROW EXECUTE FUNCTION slow_commit();
            """, database: url)
    }

    /// How many COMMITs of a queue insert were tried.
    static func commitsTried(_ store: StateStore) throws -> Int64? {
        try store.database.read { sql in try sql.integer("SELECT last_value FROM slow_commits") }
    }

    static func entry(_ id: String) -> QueuedDeployment {
        QueuedDeployment(id: id, request: "{}", project: "shop", environment: "prod", requestedBy: "ci", queuedAt: Date())
    }
}
