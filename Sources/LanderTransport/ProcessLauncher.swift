import CLanderProcess
import Foundation

/// Starts local processes (commands of local targets, and `ssh`/`scp` for remote ones) under the monitor.
enum ProcessLauncher {
    /// Starts `argv` in `directory` (nil: Lander's own) with exactly `environment`; `input` is written to its
    /// standard input, which is then closed (without it, stdin is /dev/null).
    static func start(
        _ argv: [String], environment: [String: String], directory: String?, input: [UInt8]? = nil, target: String,
        onLine: (@Sendable (String, Bool) -> Void)?
    ) throws(TransportError) -> WatchedProcess {
        try startKeepingInput(
            argv, environment: environment, directory: directory, input: input, keepInput: false, target: target,
            onLine: onLine
        ).process
    }

    /// Like `start`; with `keepInput` the write end of its stdin stays open and is returned (the caller closes it).
    static func startKeepingInput(
        _ argv: [String], environment: [String: String], directory: String?, input: [UInt8]?, keepInput: Bool,
        target: String, onLine: (@Sendable (String, Bool) -> Void)?
    ) throws(TransportError) -> (process: WatchedProcess, input: Int32?) {
        let program = argv.first ?? ""
        let env = environment.map { "\($0.key)=\($0.value)" }.sorted()
        var pid: pid_t = 0
        var out: Int32 = -1
        var err: Int32 = -1
        var inFD: Int32 = -1
        let status = withCStrings(argv) { argv in
            withCStrings(env) { envp in
                if input != nil || keepInput { return lander_spawn(argv, envp, directory, &pid, &out, &err, &inFD) }
                return lander_spawn(argv, envp, directory, &pid, &out, &err, nil)
            }
        }
        guard status == 0 else {
            let reason = String(cString: strerror(status))
            let place = directory.map { " or in \($0)" } ?? ""
            let hint =
                status == ENOENT ? "no program '\(program)' on PATH\(place)" : "cannot start '\(program)': \(reason)"
            throw TransportError(target: target, message: hint)
        }
        if let input {
            // Small inputs (an environment preamble) fit the pipe's buffer; the child reads the rest.
            _ = writeAll(inFD, input)
        }
        if input != nil, !keepInput { close(inFD) }
        let pidfd = lander_pidfd_open(pid)
        guard pidfd >= 0 else {
            kill(pid, SIGKILL)
            throw TransportError(
                target: target, message: "cannot watch process \(pid): pidfd_open failed (Linux ≥ 5.3)")
        }
        let process = WatchedProcess(
            target: target, pid: pid, pidfd: pidfd, outFD: out, errFD: err, outputLimit: LocalTransport.outputLimit,
            onLine: onLine)
        try ProcessMonitor.shared.watch(process)
        return (process, keepInput ? inFD : nil)
    }

    /// Writes all bytes to a blocking descriptor; false when it failed (the reader is gone).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}

/// Calls `body` with a NULL-terminated C array of the strings, valid during the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
