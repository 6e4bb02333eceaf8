import CLanderProcess
import Foundation
import Synchronization

/// A child process the monitor watches: its output so far, how it ended, who waits for it.
final class WatchedProcess: @unchecked Sendable {
    let target: String
    let pid: pid_t
    let pidfd: Int32
    let outFD: Int32
    let errFD: Int32
    let started = ContinuousClock.now
    private let onLine: (@Sendable (String, Bool) -> Void)?
    // Touched only on the monitor thread until `exited`, then only read.
    private var out: OutputBuffer
    private var err: OutputBuffer
    /// Which of its pipes are still open (fd numbers are reused once closed, so the monitor asks here).
    var outOpen = true, errOpen = true

    private struct Shared {
        var result: CommandResult?
        var waiters: [CheckedContinuation<CommandResult, Never>] = []
        var stopReason: StopReason?
    }
    private let shared = Mutex(Shared())

    init(
        target: String, pid: pid_t, pidfd: Int32, outFD: Int32, errFD: Int32, outputLimit: Int,
        onLine: (@Sendable (String, Bool) -> Void)?
    ) {
        self.target = target
        self.pid = pid
        self.pidfd = pidfd
        self.outFD = outFD
        self.errFD = errFD
        self.onLine = onLine
        self.out = OutputBuffer(limit: outputLimit)
        self.err = OutputBuffer(limit: outputLimit)
    }

    /// Whether the process has not exited yet.
    var isRunning: Bool { shared.withLock { $0.result == nil } }

    func received(_ bytes: UnsafeRawBufferPointer, from fd: Int32) {
        let isError = fd == errFD
        let lines = isError ? err.append(bytes, lines: onLine != nil) : out.append(bytes, lines: onLine != nil)
        if let onLine { for line in lines { onLine(line, isError) } }
    }

    func exited(status: Int32) {
        if let onLine {
            if let line = out.remainder() { onLine(line, false) }
            if let line = err.remainder() { onLine(line, true) }
        }
        let (waiters, result) = shared.withLock { shared in
            let signal = lander_term_signal(status)
            let result = CommandResult(
                exitCode: lander_exit_code(status), signal: signal == 0 ? nil : signal, stdout: out.text,
                stderr: err.text, duration: ContinuousClock.now - started, stoppedBy: shared.stopReason)
            shared.result = result
            defer { shared.waiters = [] }
            return (shared.waiters, result)
        }
        // A stopped command's group goes entirely, including children that ignored SIGTERM.
        if result.stoppedBy != nil { killpg(pid, SIGKILL) }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    /// Waits for the process to end.
    func wait() async -> CommandResult {
        await withCheckedContinuation { continuation in
            let done = shared.withLock { shared -> CommandResult? in
                if let result = shared.result { return result }
                shared.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Records why Lander is stopping it, before the signals (an SSH command is stopped remotely first).
    func mark(_ reason: StopReason) {
        shared.withLock { if $0.result == nil, $0.stopReason == nil { $0.stopReason = reason } }
    }

    /// Stops the whole process group: SIGTERM now, SIGKILL after `grace` if the leader still runs.
    func stop(_ reason: StopReason, grace: Duration) {
        let running = shared.withLock { shared -> Bool in
            guard shared.result == nil else { return false }
            if shared.stopReason == nil { shared.stopReason = reason }
            return true
        }
        guard running else { return }
        killpg(pid, SIGTERM)
        let nanoseconds = grace.components.seconds * 1_000_000_000 + grace.components.attoseconds / 1_000_000_000
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { [self] in
            if isRunning { killpg(pid, SIGKILL) }
        }
    }
}
