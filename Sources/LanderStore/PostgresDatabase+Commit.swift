import Foundation

/// A write transaction's COMMIT whose answer never came (the server went away, or the connection stopped
/// answering): PostgreSQL is asked, on a new connection, what became of the transaction, so that a change
/// kept is not made twice and a change lost is made again, instead of the caller hearing "unknown".
extension PostgresDatabase {
    /// What a transaction whose COMMIT went unanswered comes to.
    enum TransactionKind {
        /// A read: its answer stands however its COMMIT ended.
        case read
        /// A write: it moves the generation and notes its id, and PostgreSQL is asked whether it was kept
        /// (`committed(_:until:cause:)`); kept, its result stands; not kept, it runs again.
        case write
        /// One that looks before it changes anything (the schema's migrations): it runs again.
        case rerunnable
    }

    /// What a write transaction runs first: it moves the generation (`generation()`) and gives the
    /// transaction's id, by which its fate can be asked for after a lost COMMIT.
    static let trackedStatement = "UPDATE lander_generation SET n = n + 1 RETURNING txid_current()"

    /// Whether transaction `xid` was committed, asked (as any read, on a new connection while the database
    /// cannot be reached) until PostgreSQL can tell — a transaction whose session the server has not ended
    /// yet is still in progress — or `deadline` passes; then the error says the change may or may not have
    /// been kept.
    func committed(_ xid: Int64, until deadline: Date, cause: any Error) throws(StoreError) -> Bool {
        let unknown = StoreError(
            .failed,
            "the store at \(location) failed while committing (\(Self.message(cause))) and could not be asked "
                + "within \(Int(Self.reconnectWindow)) s whether the change was kept")
        while Date() < deadline {
            let status: String?
            do {
                status = try read { sql in try sql.row("SELECT txid_status(?)", [xid])?.text(0) }
            } catch {
                throw unknown
            }
            switch status {
            case "committed": return true
            case "aborted": return false
            default: Thread.sleep(forTimeInterval: 0.1)
            }
        }
        throw unknown
    }
}
