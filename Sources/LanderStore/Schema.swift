import GRDB

/// The store's tables, as versioned migrations: a store is only ever moved forward, and a store that a
/// newer Lander moved further is refused rather than touched.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1-deployments-and-locks") { db in
            try db.execute(
                sql: """
                    CREATE TABLE release (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      project TEXT NOT NULL,
                      version TEXT NOT NULL,
                      packages TEXT NOT NULL,
                      variables TEXT NOT NULL,
                      created_at REAL NOT NULL
                    );
                    CREATE TABLE deployment (
                      id TEXT PRIMARY KEY,
                      kind TEXT NOT NULL,
                      project TEXT NOT NULL,
                      environment TEXT NOT NULL,
                      release_id INTEGER NOT NULL REFERENCES release(id),
                      version TEXT NOT NULL,
                      project_file TEXT NOT NULL,
                      plugin_path TEXT NOT NULL,
                      user TEXT NOT NULL,
                      host TEXT NOT NULL,
                      pid INTEGER NOT NULL,
                      started_at REAL NOT NULL,
                      heartbeat_at REAL NOT NULL,
                      finished_at REAL,
                      status TEXT NOT NULL,
                      error TEXT,
                      note TEXT
                    );
                    CREATE INDEX deployment_by_project ON deployment(project, environment, started_at);
                    CREATE TABLE target_step (
                      deployment_id TEXT NOT NULL REFERENCES deployment(id),
                      step TEXT NOT NULL,
                      task TEXT NOT NULL,
                      target TEXT NOT NULL,
                      status TEXT NOT NULL,
                      exit_code INTEGER,
                      message TEXT,
                      started_at REAL,
                      finished_at REAL,
                      duration REAL,
                      outputs TEXT,
                      PRIMARY KEY (deployment_id, step, task, target)
                    );
                    CREATE TABLE log_line (
                      id INTEGER PRIMARY KEY,
                      deployment_id TEXT NOT NULL,
                      at REAL NOT NULL,
                      step TEXT,
                      task TEXT,
                      target TEXT,
                      stream TEXT NOT NULL,
                      line TEXT NOT NULL
                    );
                    CREATE INDEX log_line_by_deployment ON log_line(deployment_id, id);
                    CREATE TABLE event (
                      id INTEGER PRIMARY KEY,
                      deployment_id TEXT NOT NULL,
                      at REAL NOT NULL,
                      kind TEXT NOT NULL,
                      step TEXT,
                      task TEXT,
                      target TEXT,
                      detail TEXT
                    );
                    CREATE INDEX event_by_deployment ON event(deployment_id, id);
                    CREATE TABLE session (
                      deployment_id TEXT NOT NULL,
                      target TEXT NOT NULL,
                      name TEXT NOT NULL,
                      pid INTEGER NOT NULL,
                      opened_at REAL NOT NULL,
                      closed_at REAL
                    );
                    CREATE INDEX session_by_deployment ON session(deployment_id, target, name);
                    CREATE TABLE lock_claim (
                      ticket INTEGER PRIMARY KEY AUTOINCREMENT,
                      name TEXT NOT NULL,
                      lim INTEGER NOT NULL,
                      holding INTEGER NOT NULL,
                      owner TEXT NOT NULL,
                      pid INTEGER NOT NULL,
                      host TEXT NOT NULL,
                      since REAL NOT NULL,
                      expires_at REAL NOT NULL
                    );
                    CREATE INDEX lock_claim_by_name ON lock_claim(name, ticket);
                    """)
        }
        migrator.registerMigration("2-created-releases") { db in
            // Releases `lander release create` records carry who created them; a deployment's own row has none.
            try db.execute(sql: "ALTER TABLE release ADD COLUMN created_by TEXT")
        }
        migrator.registerMigration("3-guarded-lock-claims") { db in
            // What runs under a claim, so a dead holder's claim passes on only once that is gone.
            try db.execute(
                sql: """
                    ALTER TABLE lock_claim ADD COLUMN deployment_id TEXT;
                    ALTER TABLE lock_claim ADD COLUMN guard_run TEXT;
                    ALTER TABLE lock_claim ADD COLUMN guard_remote INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        migrator.registerMigration("4-session-openers") { db in
            // The task that opened a session: a resumed deployment runs it again, since the session is gone.
            try db.execute(
                sql: """
                    ALTER TABLE session ADD COLUMN step TEXT;
                    ALTER TABLE session ADD COLUMN task TEXT;
                    """)
        }
        migrator.registerMigration("5-event-payloads") { db in
            // Every event row keeps its envelope's JSON (the one encoding of events) and its sequence.
            try db.execute(
                sql: """
                    ALTER TABLE event ADD COLUMN sequence INTEGER;
                    ALTER TABLE event ADD COLUMN payload TEXT;
                    """)
        }
        migrator.registerMigration("6-parent-deployments") { db in
            // A deployment another one started (deploy-and-wait, compensation, promotion) names it.
            try db.execute(
                sql: """
                    ALTER TABLE deployment ADD COLUMN parent_id TEXT;
                    CREATE INDEX deployment_by_parent ON deployment(parent_id);
                    """)
        }
        migrator.registerMigration("7-phone-home") { db in
            // Phone-home tokens by their SHA-256 only, and every call and refusal, for the audit.
            try db.execute(
                sql: """
                    CREATE TABLE callback_grant (
                      token_hash TEXT PRIMARY KEY,
                      deployment_id TEXT NOT NULL,
                      target TEXT NOT NULL,
                      jobs TEXT NOT NULL,
                      created_at REAL NOT NULL,
                      ended_at REAL
                    );
                    CREATE INDEX callback_grant_by_deployment ON callback_grant(deployment_id);
                    CREATE TABLE call_audit (
                      id INTEGER PRIMARY KEY,
                      at REAL NOT NULL,
                      deployment_id TEXT,
                      target TEXT,
                      job TEXT,
                      status INTEGER NOT NULL,
                      outcome TEXT NOT NULL,
                      detail TEXT,
                      child_id TEXT
                    );
                    CREATE INDEX call_audit_by_deployment ON call_audit(deployment_id, id);
                    """)
        }
        migrator.registerMigration("8-server") { db in
            // API tokens by their SHA-256 only; deployments asked of a server wait in a queue that survives it;
            // log lines keep their event's number and encoding, so a stream can be replayed whole.
            try db.execute(
                sql: """
                    CREATE TABLE api_token (
                      id TEXT PRIMARY KEY,
                      token_hash TEXT NOT NULL UNIQUE,
                      name TEXT NOT NULL,
                      role TEXT NOT NULL,
                      project TEXT,
                      environment TEXT,
                      created_at REAL NOT NULL,
                      revoked_at REAL
                    );
                    CREATE TABLE queued_deployment (
                      id TEXT PRIMARY KEY,
                      request TEXT NOT NULL,
                      project TEXT NOT NULL,
                      environment TEXT NOT NULL,
                      requested_by TEXT NOT NULL,
                      queued_at REAL NOT NULL,
                      state TEXT NOT NULL,
                      detail TEXT
                    );
                    CREATE INDEX queued_deployment_by_state ON queued_deployment(state, queued_at);
                    ALTER TABLE log_line ADD COLUMN sequence INTEGER;
                    ALTER TABLE log_line ADD COLUMN payload TEXT;
                    """)
        }
        migrator.registerMigration("9-outbox-and-schedules") { db in
            // Subscriptions read the event table from a cursor each; what they let through waits in the
            // outbox until delivered or dead; a group condition fires once per key; a schedule's due time is
            // claimed once, by whichever process inserts its row.
            try db.execute(
                sql: """
                    CREATE TABLE subscription_cursor (
                      subscription TEXT PRIMARY KEY,
                      event_id INTEGER NOT NULL,
                      updated_at REAL NOT NULL
                    );
                    CREATE TABLE delivery (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      subscription TEXT NOT NULL,
                      channel TEXT NOT NULL,
                      idempotency_key TEXT NOT NULL UNIQUE,
                      event_kind TEXT NOT NULL,
                      deployment_id TEXT,
                      project TEXT,
                      environment TEXT,
                      subject TEXT,
                      body TEXT NOT NULL,
                      created_at REAL NOT NULL,
                      state TEXT NOT NULL,
                      attempts INTEGER NOT NULL DEFAULT 0,
                      next_attempt_at REAL NOT NULL,
                      last_error TEXT,
                      claimed_by TEXT,
                      claimed_until REAL,
                      delivered_at REAL,
                      condition TEXT
                    );
                    CREATE INDEX delivery_by_state ON delivery(state, next_attempt_at);
                    CREATE TABLE group_fired (
                      subscription TEXT NOT NULL,
                      key TEXT NOT NULL,
                      fired_at REAL NOT NULL,
                      PRIMARY KEY (subscription, key)
                    );
                    CREATE TABLE schedule_run (
                      schedule TEXT NOT NULL,
                      due_at REAL NOT NULL,
                      claimed_by TEXT NOT NULL,
                      host TEXT NOT NULL,
                      pid INTEGER NOT NULL,
                      claimed_at REAL NOT NULL,
                      finished_at REAL,
                      outcome TEXT NOT NULL,
                      detail TEXT,
                      deployment_id TEXT,
                      PRIMARY KEY (schedule, due_at)
                    );
                    """)
        }
        migrator.registerMigration("10-agents") { db in
            // Agents on locked-down targets: one-time enrolment tokens by hash, each agent's public key and
            // scope, and every refusal (a replayed token, a taken name, a revoked agent, a bad signature).
            try db.execute(
                sql: """
                    CREATE TABLE agent_enrollment (
                      token_hash TEXT PRIMARY KEY,
                      environment TEXT NOT NULL,
                      roles TEXT NOT NULL,
                      created_at REAL NOT NULL,
                      expires_at REAL NOT NULL,
                      used_by TEXT,
                      used_at REAL
                    );
                    CREATE TABLE agent (
                      name TEXT PRIMARY KEY,
                      environment TEXT NOT NULL,
                      roles TEXT NOT NULL,
                      public_key TEXT NOT NULL,
                      enrolled_at REAL NOT NULL,
                      revoked_at REAL,
                      last_seen_at REAL
                    );
                    CREATE TABLE agent_audit (
                      id INTEGER PRIMARY KEY,
                      at REAL NOT NULL,
                      agent TEXT,
                      outcome TEXT NOT NULL,
                      detail TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("11-shared-servers") { db in
            // Several servers on one store: each server's row (its heartbeat and load), and the lease a
            // server holds on a queue entry it took, so a dead server's entries go back to the queue.
            try db.execute(
                sql: """
                    CREATE TABLE server (
                      id TEXT PRIMARY KEY,
                      host TEXT NOT NULL,
                      pid INTEGER NOT NULL,
                      address TEXT,
                      capacity INTEGER NOT NULL,
                      running INTEGER NOT NULL DEFAULT 0,
                      started_at REAL NOT NULL,
                      heartbeat_at REAL NOT NULL,
                      stopped_at REAL
                    );
                    ALTER TABLE queued_deployment ADD COLUMN claimed_by TEXT;
                    ALTER TABLE queued_deployment ADD COLUMN claimed_until REAL;
                    """)
        }
        migrator.registerMigration("12-agent-signatures") { db in
            // The signatures of agents' connections used in the last minutes, shared by every server, so
            // one seen by any server is never accepted again by another.
            try db.execute(sql: "CREATE TABLE agent_signature (signature TEXT PRIMARY KEY, at REAL NOT NULL)")
        }
        return migrator
    }
}
