import Foundation
import LanderTesting
import LanderTransport
import Testing

@Suite struct LocalTransportTests {
    let root: String
    let transport: LocalTransport

    init() throws {
        root =
            FileManager.default.temporaryDirectory.appendingPathComponent("lander-transport-\(UUID().uuidString)")
            .path
        var transport = LocalTransport(target: "t1", root: root, environment: ProcessInfo.processInfo.environment)
        transport.stopGrace = .milliseconds(500)
        self.transport = transport
    }

    @Test func runsInTheRootWithItsEnvironmentAndCapturesBothStreams() async throws {
        let result = try await transport.run(
            Command(["sh", "-c", "pwd; echo \"$GREETING\"; echo oops >&2; exit 3"], environment: ["GREETING": "hi"]),
            options: RunOptions())
        #expect(result.exitCode == 3)
        #expect(!result.succeeded)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(
            URL(fileURLWithPath: lines.first ?? "").resolvingSymlinksInPath()
                == URL(fileURLWithPath: root).resolvingSymlinksInPath())
        #expect(lines.last == "hi")
        #expect(result.stderr == "oops\n")
    }

    @Test func argumentsAreNeverInterpretedByAShell() async throws {
        let result = try await transport.run(Command(["echo", "$(id)", "a;b", "*"]), options: RunOptions())
        #expect(result.stdout == "$(id) a;b *\n")
    }

    @Test func aMissingProgramIsAClearError() async throws {
        let error = await #expect(throws: TransportError.self) {
            try await transport.run(Command(["no-such-program-xyz"]), options: RunOptions())
        }
        #expect(error?.description.contains("no program 'no-such-program-xyz'") == true)
    }

    @Test func commandsInheritNoOpenFilesOfLander() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        let result = try await transport.run(Command(["ls", "/proc/self/fd"]), options: RunOptions())
        let open = Set(result.stdout.split(separator: "\n").compactMap { Int32($0) })
        #expect(open.isSuperset(of: [0, 1, 2]))
        #expect(!open.contains(fds[0]) && !open.contains(fds[1]), "inherited \(open)")
    }

    @Test func streamsLinesAsTheyArrive() async throws {
        let lines = Lines()
        _ = try await transport.run(
            Command(["sh", "-c", "echo one; echo two >&2; printf three"]),
            options: RunOptions(onLine: { line, isError in lines.add((isError ? "err:" : "out:") + line) }))
        #expect(lines.all.sorted() == ["err:two", "out:one", "out:three"])
    }

    @Test func aTimeoutKillsTheWholeProcessGroup() async throws {
        let pidFile = root + "/child.pid"
        let result = try await transport.run(
            Command(["sh", "-c", "sleep 60 & echo $! > \(pidFile); wait"]),
            options: RunOptions(timeout: .milliseconds(300)))
        #expect(result.stoppedBy == .timeout)
        #expect(result.signal == SIGTERM)
        try await expectGone(pidFile: pidFile)
    }

    @Test func cancellationKillsChildrenThatIgnoreSIGTERM() async throws {
        let pidFile = root + "/child.pid"
        let task = Task {
            try await transport.run(
                Command(["sh", "-c", "trap '' TERM; (trap '' TERM; sleep 60) & echo $! > \(pidFile); wait"]),
                options: RunOptions())
        }
        try await waitForFile(pidFile)
        task.cancel()
        let result = try await task.value
        #expect(result.stoppedBy == .cancelled)
        try await expectGone(pidFile: pidFile)
    }

    @Test func aBackgroundCommandRunsUntilClosed() async throws {
        let session = try await transport.spawn(Command(["sleep", "60"]))
        try await Task.sleep(for: .milliseconds(100))
        #expect(session.isRunning)
        let result = await session.close(grace: .milliseconds(500))
        #expect(result.stoppedBy == .closed)
        #expect(!session.isRunning)
        #expect(kill(session.pid, 0) != 0)
    }

    @Test func manyCommandsRunAtOnce() async throws {
        // Each of 200 commands says it started, then waits (up to a minute, looking twice a second: a
        // tighter loop of 200 shells starves a loaded machine) for the word to go, given once all 200 have
        // started: only commands that run at the same time all see it. No clock is judged.
        let scratch = try Scratch()
        let directory = scratch.url.path
        let script =
            #"touch "$1/started-$2"; i=0; while [ ! -f "$1/go" ] && [ $i -lt 120 ]; do sleep 0.5; "#
            + #"i=$((i+1)); done; [ -f "$1/go" ] && echo "$2""#
        var seen = Set<String>()
        try await withThrowingTaskGroup(of: CommandResult?.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await transport.run(
                        Command(["sh", "-c", script, "many", directory, "\(index)"]), options: RunOptions())
                }
            }
            group.addTask {
                while (try? FileManager.default.contentsOfDirectory(atPath: directory))?.count ?? 0 < 200 {
                    try await Task.sleep(for: .milliseconds(20))
                }
                _ = FileManager.default.createFile(atPath: directory + "/go", contents: nil)
                return nil
            }
            for try await result in group { if let result, result.succeeded { seen.insert(result.stdout) } }
        }
        #expect(seen.count == 200, "every command was running when the last one started")
    }

    @Test func largeOutputIsCapturedWithoutBlocking() async throws {
        let result = try await transport.run(Command(["head", "-c", "3000000", "/dev/zero"]), options: RunOptions())
        #expect(result.exitCode == 0)
        #expect(result.stdout.contains("earlier bytes not kept"))
    }

    private func waitForFile(_ path: String) async throws {
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("\(path) never appeared")
    }

    private func expectGone(pidFile: String) async throws {
        let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let pid = try #require(Int32(text))
        for _ in 0..<100 where runs(pid) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!runs(pid), "child \(pid) outlived its stopped command")
    }
}

/// Lines collected from another thread.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
