import Foundation
import Synchronization

/// Standard output and error as Lander writes them: unbuffered, in order, and never fatal.
///
/// A reader that goes away (`lander deploy | head -1`, a closed terminal) must not stop a deployment:
/// SIGPIPE is ignored, and once a stream reports EPIPE (or any other write error) further writes to it are
/// dropped while the deployment goes on and is recorded as usual.
enum StandardStream: Int32 {
    case output = 1
    case error = 2

    private static let closed = Mutex<Set<Int32>>([])

    /// Ignores SIGPIPE for the whole process, so a closed pipe shows up as EPIPE on the write instead.
    static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Writes the text whole, or drops it (and everything after it) when the stream is gone.
    func write(_ text: String) {
        guard !Self.closed.withLock({ $0.contains(rawValue) }) else { return }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(rawValue, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                _ = Self.closed.withLock { $0.insert(rawValue) }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}

/// Writes a line to standard output at once (unbuffered, so it keeps its order with standard error).
func printOutput(_ line: String) {
    StandardStream.output.write(line + "\n")
}

/// Writes a line to standard error.
func printError(_ line: String) {
    StandardStream.error.write(line + "\n")
}
