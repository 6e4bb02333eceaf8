import Foundation
public import LanderEngine
public import LanderModel
import Synchronization

/// Records one deployment's events in the store. Events queue without waiting; a writer thread commits
/// whatever has queued in one transaction (group commit), and `flush` returns once everything queued
/// before it is on disk. A heartbeat keeps the deployment from looking interrupted while it runs.
public final class StoreJournal: DeploymentJournal, Sendable {
    /// The deployment it records.
    public let deploymentID: String
    private let store: StateStore
    private let queue = DispatchQueue(label: "lander.journal")
    private let state = Mutex(State())
    private let heartbeat = Mutex<Task<Void, Never>?>(nil)

    private struct State {
        var pending: [Entry] = []
        var queued = 0
        var written = 0
        var writing = false
        var failure: StoreError?
        var waiters: [(upTo: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        var ownSequence = 0
    }

    private enum Entry {
        /// An event with its JSON, encoded by whoever recorded it (in parallel, outside the write).
        case event(EventEnvelope, json: String)
        case outputs([String: ConfigValue], TargetStepKey)
    }

    /// A journal for a deployment the store has already begun; renews its heartbeat until `close`.
    public init(store: StateStore, deploymentID: String) {
        self.store = store
        self.deploymentID = deploymentID
        let interval = store.lease / 3
        heartbeat.withLock {
            // On the store's executor: a renewal waiting out a database outage holds no thread of the pool.
            $0 = Task.detached(executorPreference: store.executor) { [store] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    try? store.heartbeat(deploymentID)
                }
            }
        }
    }

    /// Stops the heartbeat (after the last flush).
    public func close() {
        heartbeat.withLock { $0?.cancel() }
    }

    public func record(_ envelope: EventEnvelope) {
        enqueue(.event(envelope, json: envelope.json))
    }

    /// Records an event not sent by a deployment (benchmarks, tests), numbered by this journal.
    public func record(_ event: DeploymentEvent) {
        let sequence = state.withLock { state -> Int in
            state.ownSequence += 1
            return state.ownSequence
        }
        let envelope = EventEnvelope(deployment: deploymentID, sequence: sequence, event: event)
        enqueue(.event(envelope, json: envelope.json))
    }

    public func recordOutputs(_ outputs: [String: ConfigValue], for key: TargetStepKey) {
        enqueue(.outputs(outputs, key))
    }

    public func flush() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Void, StoreError>? in
                if let failure = state.failure { return .failure(failure) }
                if state.written >= state.queued { return .success(()) }
                state.waiters.append((state.queued, continuation))
                return nil
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    private func enqueue(_ entry: Entry) {
        let start = state.withLock { state -> Bool in
            state.pending.append(entry)
            state.queued += 1
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        if start { queue.async { self.drain() } }
    }

    /// Writes batches until nothing is queued.
    private func drain() {
        while true {
            let batch = state.withLock { state -> [Entry] in
                defer { state.pending = [] }
                if state.pending.isEmpty { state.writing = false }
                return state.pending
            }
            if batch.isEmpty { return }
            var failure: StoreError?
            do {
                try store.transaction { sql in
                    try store.checkHolder(of: deploymentID, sql)
                    var rows = JournalRows()
                    for entry in batch { try write(entry, sql, &rows) }
                    try rows.insert(sql)
                }
            } catch {
                failure = error
            }
            let ready = state.withLock { state -> [(CheckedContinuation<Void, any Error>, StoreError?)] in
                state.written += batch.count
                if let failure, state.failure == nil { state.failure = failure }
                let (done, waiting) = state.waiters.partitioned { $0.upTo <= state.written || state.failure != nil }
                state.waiters = waiting
                return done.map { ($0.continuation, state.failure) }
            }
            for (continuation, failure) in ready {
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
            }
        }
    }

    private func write(_ entry: Entry, _ sql: any SQLTransaction, _ rows: inout JournalRows) throws {
        let id = deploymentID
        switch entry {
        case .outputs(let outputs, let key):
            try sql.execute(
                "UPDATE target_step SET outputs = ? WHERE deployment_id = ? AND step = ? AND task = ? AND target = ?",
                [json(outputs), id, key.step, key.task, key.target])
        case .event(let envelope, let json):
            try write(envelope, json: json, sql, &rows)
        }
    }

    private func write(_ envelope: EventEnvelope, json: String, _ sql: any SQLTransaction, _ rows: inout JournalRows)
        throws
    {
        try writeTables(envelope, json: json, sql, &rows)
        // Each row keeps the event's one encoding (`payload`) beside the columns queries use.
        guard let row = EventRow(envelope.event) else { return }
        rows.events.append([
            deploymentID, envelope.time.timeIntervalSince1970, row.kind, row.step, row.task, row.target, row.detail,
            envelope.sequence, json,
        ])
    }

    /// The tables besides `event` an event changes: log lines, target steps, sessions, the deployment.
    private func writeTables(
        _ envelope: EventEnvelope, json: String, _ sql: any SQLTransaction, _ rows: inout JournalRows
    ) throws {
        let id = deploymentID
        let at = envelope.time.timeIntervalSince1970
        let sequence = envelope.sequence
        switch envelope.event {
        case .output(let step, let task, let target, let line, let isError):
            rows.logs.append([id, at, step, task, target, isError ? "stderr" : "stdout", line, sequence, json])
        case .log(let level, let message, let target, let step, let task):
            rows.logs.append([id, at, step, task, target, "log", "[\(level.rawValue)] \(message)", sequence, json])
        case .targetStarted(let step, let task, let target):
            try sql.execute(
                """
                INSERT INTO target_step (deployment_id, step, task, target, status, started_at)
                VALUES (?, ?, ?, ?, 'running', ?)
                ON CONFLICT (deployment_id, step, task, target) DO UPDATE SET status = 'running',
                  started_at = excluded.started_at, finished_at = NULL, exit_code = NULL, message = NULL
                """, [id, step, task, target, at])
        case .targetFinished(let step, let task, let target, let outcome, let duration, let exitCode, _):
            // A resumed run reports what the interrupted one finished with no duration: the first record stands.
            let seconds = duration.seconds
            try sql.execute(
                """
                INSERT INTO target_step (deployment_id, step, task, target, status, exit_code, message,
                  started_at, finished_at, duration)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (deployment_id, step, task, target) DO UPDATE SET status = excluded.status,
                  exit_code = excluded.exit_code, message = excluded.message, finished_at = excluded.finished_at,
                  duration = excluded.duration
                WHERE NOT (excluded.duration = 0 AND target_step.status = excluded.status)
                """,
                [id, step, task, target, outcome.recordedStatus, exitCode, outcome.message, at - seconds, at, seconds])
        case .sessionOpened(let target, let name, let pid, let step, let task):
            try sql.execute(
                "INSERT INTO session (deployment_id, target, name, pid, opened_at, step, task) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [id, target, name, pid, at, step, task])
        case .sessionClosed(let target, let name):
            try sql.execute(
                """
                UPDATE session SET closed_at = ? WHERE deployment_id = ? AND target = ? AND name = ?
                  AND closed_at IS NULL
                """, [at, id, target, name])
        case .deploymentFinished(let outcome, _, let error):
            try sql.execute(
                "UPDATE deployment SET status = ?, error = ?, finished_at = ?, heartbeat_at = ? WHERE id = ?",
                [outcome.rawValue, error, at, at, id])
        default: break
        }
    }
}

/// The event and log rows of one journal batch, inserted at its end many to a statement (in the order
/// they were recorded, so ids keep that order): on PostgreSQL each statement is a round trip.
struct JournalRows {
    var events: [[any SQLBindable]] = []
    var logs: [[any SQLBindable]] = []

    static let eventColumns = "event (deployment_id, at, kind, step, task, target, detail, sequence, payload)"
    static let logColumns = "log_line (deployment_id, at, step, task, target, stream, line, sequence, payload)"

    func insert(_ sql: any SQLTransaction) throws {
        try Self.insert(logs, into: Self.logColumns, sql)
        try Self.insert(events, into: Self.eventColumns, sql)
    }

    /// Inserts rows of nine values, in chunks of 64, 32, …, 1 rows: a few statements each database compiles
    /// once, whatever the batch's size.
    private static func insert(_ rows: [[any SQLBindable]], into table: String, _ sql: any SQLTransaction) throws {
        var start = 0
        while start < rows.count {
            var size = 64
            while size > rows.count - start { size /= 2 }
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: size).joined(separator: ", ")
            try sql.execute("INSERT INTO \(table) VALUES \(values)", rows[start..<start + size].flatMap { $0 })
            start += size
        }
    }
}

extension Array {
    /// The elements that match, and those that do not, each in order.
    func partitioned(_ matches: (Element) -> Bool) -> (matching: [Element], rest: [Element]) {
        var matching: [Element] = []
        var rest: [Element] = []
        for element in self {
            if matches(element) { matching.append(element) } else { rest.append(element) }
        }
        return (matching, rest)
    }
}
