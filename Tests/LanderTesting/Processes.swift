import CLanderProcess
public import Foundation

/// Whether a process runs; a zombie waiting for its reaper does not.
public func runs(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    return stat.split(separator: ")").last?.split(separator: " ").first != "Z"
}

/// Waits (bounded, 2 s) until a process no longer runs; true when it is gone.
public func isGone(_ pid: Int32) async -> Bool {
    for _ in 0..<200 {
        if !runs(pid) { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return false
}

/// Waits (bounded, without blocking a thread) for a child to end and reaps it here: Foundation's own
/// wait can miss a child's end after an async hop and spin forever. Returns the exit status (128 + the
/// signal for a signalled child), nil when it still runs at the deadline.
public func waitForExit(_ process: Process, timeout: Duration = .seconds(60)) async -> Int32? {
    let pid = process.processIdentifier
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
        if reaped < 0, errno == ECHILD {
            // Foundation reaped it first; its bookkeeping follows shortly.
            for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
            if process.isRunning { return nil }
            return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return nil
}

/// Reads a pipe to its end on a Dispatch thread (never the cooperative pool the code under test needs).
public func readToEnd(_ handle: FileHandle) async -> Data {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
    }
}

/// How a program run to its end went.
public struct ProgramRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Creates a run.
    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Any program run to its end with its output captured.
public enum Program {
    /// Runs a program with arguments and waits (bounded) for it to exit; a program past the deadline is killed.
    public static func run(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> ProgramRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        async let stdout = readToEnd(out.fileHandleForReading)
        async let stderr = readToEnd(err.fileHandleForReading)
        var status = await waitForExit(process, timeout: timeout)
        if status == nil {
            kill(process.processIdentifier, SIGKILL)
            status = await waitForExit(process, timeout: .seconds(10))
        }
        return ProgramRun(
            status: status ?? -1, stdout: String(decoding: await stdout, as: UTF8.self),
            stderr: String(decoding: await stderr, as: UTF8.self))
    }
}

/// Starts a helper program (a listener, sshd, HAProxy) and returns its pid. It keeps only standard input,
/// output and error: a pipe another test is reading, left open in a helper that lives for minutes, would
/// keep that reader from ever seeing its end.
public func spawnHelper(_ argv: [String]) throws -> Int32 {
    var pid: Int32 = 0
    let copies = argv.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    let result = pointers.withUnsafeBufferPointer { arguments in
        lander_spawn_inheriting_std(
            argv[0], arguments.baseAddress,
            UnsafeRawPointer(environ).assumingMemoryBound(to: UnsafePointer<CChar>?.self), &pid)
    }
    guard result == 0 else {
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "cannot start \(argv[0])"])
    }
    return pid
}

/// Runs a short program to its end (posix_spawn and waitpid, keeping only the standard descriptors); its
/// wait status, or -1 when it could not start.
public func runToEnd(_ argv: [String]) -> Int32 {
    guard let pid = try? spawnHelper(argv) else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    return status
}

/// Waits (bounded, without blocking a thread) for a child started with `spawnHelper` and reaps it; its
/// exit status (128 + the signal for a signalled child), nil when it still runs at the deadline.
public func waitForExit(pid: Int32, timeout: Duration = .seconds(60)) async -> Int32? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return nil
}
