import Dispatch
import Foundation

/// Catches SIGINT and SIGTERM while a deployment runs: the first calls `handler`, a third abandons at once.
final class SignalTrap {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable (String) -> Void) {
        let count = Counter()
        sources = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                switch count.next() {
                case 1: handler(name)
                case 2: printError("lander: still cleaning up; send the signal once more to abandon cleanup")
                default: exit(ExitCodes.cancelled)
                }
            }
            source.resume()
            return source
        }
    }

    /// Restores the default signal handling.
    func release() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

/// A thread-safe counter.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}
