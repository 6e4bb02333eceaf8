import CLanderProcess
import Foundation
import Synchronization

/// One epoll thread that watches every child's output pipes and exit (through a pidfd).
///
/// Thousands of commands can run at once without a thread each; callers await their end.
final class ProcessMonitor: Sendable {
    static let shared = ProcessMonitor()

    private let epoll: Int32
    private let watches = Mutex<[Int32: WatchedProcess]>([:])

    private init() {
        // A child that exits before reading its input must not take Lander down with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        epoll = lander_epoll_create()
        let thread = Thread { [self] in loop() }
        thread.name = "lander-process-monitor"
        thread.start()
    }

    /// Starts watching a spawned child; fails only if the kernel refuses a pidfd.
    func watch(_ process: WatchedProcess) throws(TransportError) {
        guard epoll >= 0 else {
            throw TransportError(target: process.target, message: "cannot watch processes: epoll_create1 failed")
        }
        watches.withLock {
            $0[process.pidfd] = process
            $0[process.outFD] = process
            $0[process.errFD] = process
        }
        for fd in [process.outFD, process.errFD, process.pidfd] { _ = lander_epoll_add(epoll, fd) }
    }

    private func loop() {
        var ready = [Int32](repeating: -1, count: 128)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = ready.withUnsafeMutableBufferPointer { lander_epoll_wait(epoll, $0.baseAddress, 128) }
            for index in 0..<Int(count) {
                let fd = ready[index]
                guard let process = watches.withLock({ $0[fd] }) else { continue }
                if fd == process.pidfd {
                    finish(process, chunk: &chunk)
                } else {
                    drain(fd, of: process, chunk: &chunk)
                }
            }
        }
    }

    /// Reads what a pipe holds; closes it at end of file.
    private func drain(_ fd: Int32, of process: WatchedProcess, chunk: inout [UInt8]) {
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                chunk.withUnsafeBytes { process.received(UnsafeRawBufferPointer(rebasing: $0[0..<n]), from: fd) }
                continue
            }
            if n == 0 || (errno != EAGAIN && errno != EINTR) { close(fd, of: process) }
            if n < 0, errno == EINTR { continue }
            return
        }
    }

    private func finish(_ process: WatchedProcess, chunk: inout [UInt8]) {
        var status: Int32 = 0
        guard lander_reap(process.pid, &status) != 0 else { return }  // spurious wake-up
        if process.outOpen { drain(process.outFD, of: process, chunk: &chunk) }
        if process.errOpen { drain(process.errFD, of: process, chunk: &chunk) }
        close(process.outFD, of: process)
        close(process.errFD, of: process)
        forget(process.pidfd)
        process.exited(status: status)
    }

    /// Closes one of a process's pipes once; its number may then be reused by another process.
    private func close(_ fd: Int32, of process: WatchedProcess) {
        if fd == process.outFD {
            guard process.outOpen else { return }
            process.outOpen = false
        } else {
            guard process.errOpen else { return }
            process.errOpen = false
        }
        forget(fd)
    }

    private func forget(_ fd: Int32) {
        guard watches.withLock({ $0.removeValue(forKey: fd) }) != nil else { return }
        lander_epoll_remove(epoll, fd)
        Glibc.close(fd)
    }
}
