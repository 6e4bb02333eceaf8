import Foundation

/// The built `lander` executable, run as a user would.
enum Lander {
    /// The directory the test bundle was built into; `lander` is built beside it.
    static var executable: URL {
        get throws {
            let bundle = Bundle.main.bundleURL
            for directory in [
                bundle, bundle.deletingLastPathComponent(),
                URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            ] {
                let candidate = directory.appendingPathComponent("lander")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "lander next to \(bundle.path)"])
        }
    }

    /// The outcome of one run.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `lander` with arguments and waits (bounded) for it to exit.
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60))
        async throws -> Run
    {
        try await Program.run(executable.path, arguments, environment: environment, timeout: timeout)
    }
}

/// Any program run to its end with its output captured.
enum Program {
    /// Runs a program with arguments and waits (bounded) for it to exit; a program past the deadline is killed.
    static func run(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)
    ) async throws -> Lander.Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Blocking reads go to Dispatch threads, never the cooperative pool the code under test needs.
        async let stdout = readToEnd(out.fileHandleForReading)
        async let stderr = readToEnd(err.fileHandleForReading)
        var status = await waitForExit(process, timeout: timeout)
        if status == nil {
            kill(process.processIdentifier, SIGKILL)
            status = await waitForExit(process, timeout: .seconds(10))
        }
        return Lander.Run(
            status: status ?? -1, stdout: String(decoding: await stdout, as: UTF8.self),
            stderr: String(decoding: await stderr, as: UTF8.self))
    }
}

/// Waits (bounded, without blocking a thread) for a child to end and reaps it here: Foundation's own
/// wait can miss a child's end after an async hop and spin forever. Returns the exit status (128 + the
/// signal for a signalled child), nil when it still runs at the deadline.
func waitForExit(_ process: Process, timeout: Duration = .seconds(60)) async -> Int32? {
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

/// Reads a pipe to its end on a Dispatch thread.
func readToEnd(_ handle: FileHandle) async -> Data {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
    }
}

/// A temporary directory for files a test writes.
struct Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lander-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes a file and returns its path.
    func file(_ name: String, _ contents: String) throws -> String {
        let path = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: path, atomically: true, encoding: .utf8)
        return path.path
    }
}
