import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// `LISTEN/NOTIFY` on a connection of its own: `wake` runs for every notification on a channel, and once
/// more each time the connection comes back after a loss (a notification sent meanwhile is lost, so the
/// waiter looks for itself). Polling stays the fallback: this only shortens the wait.
final class PostgresListener: Sendable {
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(
        configuration: PostgresConnection.Configuration, channel: String, logger: Logger,
        wake: @escaping @Sendable () -> Void
    ) {
        let loop = Task.detached {
            var pause = 0.2
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnection.connect(
                        on: PostgresDatabase.eventLoops.any(), configuration: configuration, id: 0,
                        logger: logger)
                    connection.addListener(channel: channel) { _, _ in wake() }
                    _ = try await connection.query(PostgresQuery(unsafeSQL: "LISTEN \(channel)"), logger: logger)
                    pause = 0.2
                    wake()
                    try await withTaskCancellationHandler {
                        try await connection.closeFuture.get()
                    } onCancel: {
                        let closing: EventLoopFuture<Void> = connection.close()
                        _ = closing
                    }
                } catch {
                    // Not reachable now: the waiters poll meanwhile.
                }
                try? await Task.sleep(for: .milliseconds(Int64(pause * 1000)))
                pause = min(pause * 2, 5)
            }
        }
        task.withLock { $0 = loop }
    }

    /// Stops listening.
    func stop() {
        task.withLock { $0?.cancel() }
    }

    deinit { stop() }
}

extension PostgresDatabase {
    /// Calls `wake` whenever a transaction that sent `notify(channel)` commits, and after a reconnect.
    func listen(_ channel: String, wake: @escaping @Sendable () -> Void) -> PostgresListener {
        PostgresListener(configuration: configuration, channel: channel, logger: logger, wake: wake)
    }
}
