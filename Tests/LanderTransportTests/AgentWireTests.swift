import Foundation
import LanderTesting
import Testing

@testable import LanderTransport

/// The agent protocol end to end in one process: the server's link and the agent's executor wired through
/// their outboxes (the WebSocket between them is tested with real processes in AgentTests), running real
/// commands, sessions and transfers.
@Suite struct AgentWireTests {
    /// A link and an executor joined as a connection would join them.
    final class Wired: Sendable {
        let link = AgentLink(agent: "edge", environment: "production", roles: ["app"])
        let executor: AgentExecutor
        let agentOutbox = AgentOutbox()
        let workDir: String

        /// One connection; `memory` and `workDir` shared make it another connection of the same agent.
        init(workDir: String? = nil, memory: AgentRequestMemory = .init()) throws {
            self.workDir = try workDir ?? Scratch().url.path
            executor = AgentExecutor(
                name: "edge", workDir: self.workDir, environment: ProcessInfo.processInfo.environment, memory: memory)
            let (link, executor, agentOutbox) = (link, executor, agentOutbox)
            Task {
                while let frame = await link.outbox.next() {
                    switch frame {
                    case .text(let text): executor.receive(text: text, answering: agentOutbox)
                    case .binary(let bytes): executor.receive(binary: bytes, answering: agentOutbox)
                    }
                }
            }
            Task {
                while let frame = await agentOutbox.next() {
                    switch frame {
                    case .text(let text): link.receive(text: text)
                    case .binary(let bytes): link.receive(binary: bytes)
                    }
                }
            }
        }

        var connection: AgentConnection {
            var connection = AgentConnection(target: "edge", agent: "edge", root: "targets/edge") { [link] in link }
            connection.stopGrace = .milliseconds(300)
            return connection
        }

        /// The target's root on the agent's side.
        var root: String { workDir + "/targets/edge" }

        /// The connection drops, as the hub and the agent each see it.
        func cut() async {
            link.close(reason: "connection to agent 'edge' lost")
            agentOutbox.close()
            await executor.connectionEnded()
        }
    }

    /// Waits until `condition` holds, bounded: the bound is for a machine whose threads other suites keep
    /// busy (the whole suite at once, on two cores, once took over 30 s to start a command here).
    static func eventually(_ seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !condition() { try? await Task.sleep(for: .milliseconds(50)) }
        return condition()
    }

    static func alive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }

    @Test func aCommandStreamsItsLinesAndItsEnvironmentStaysOffTheCommandLine() async throws {
        let wired = try Wired()
        let lines = LockedLines()
        let result = try await wired.connection.run(
            Command(
                ["sh", "-c", #"echo one; echo two >&2; tr '\0' ' ' < /proc/$$/cmdline; echo; echo "$TOKEN"; exit 4"#],
                environment: ["TOKEN": "s3cret-value"]),
            options: RunOptions(onLine: { line, isError in lines.add((isError ? "err: " : "out: ") + line) }))
        #expect(result.exitCode == 4 && result.stoppedBy == nil)
        #expect(result.stderr == "two\n")
        let output = result.stdout.split(separator: "\n").map(String.init)
        #expect(output.first == "one" && output.last == "s3cret-value", "\(result.stdout)")
        #expect(output.count == 3 && !output[1].contains("s3cret"), "the secret is on the command line: \(output)")
        #expect(lines.all.contains("out: one") && lines.all.contains("err: two"), "\(lines.all)")
        #expect(FileManager.default.fileExists(atPath: wired.root), "the root is made under the work directory")
    }

    @Test func aTimeoutAndACancellationStopTheWholeProcessGroupOnTheAgent() async throws {
        let wired = try Wired()
        let timed = try await wired.connection.run(
            Command(["sh", "-c", "sleep 30 & echo $! > child; wait"]), options: RunOptions(timeout: .milliseconds(500)))
        #expect(timed.stoppedBy == .timeout)
        let child = Int32(try String(contentsOfFile: wired.root + "/child", encoding: .utf8).trimmed) ?? 0
        #expect(child > 0)
        #expect(await Self.eventually(120) { !Self.alive(child) }, "the background child outlived the timeout")
        let connection = wired.connection
        let running = Task {
            try await connection.run(Command(["sh", "-c", "touch go; sleep 30"]), options: RunOptions())
        }
        #expect(await Self.eventually(120) { FileManager.default.fileExists(atPath: wired.root + "/go") })
        running.cancel()
        let cancelled = try await running.value
        #expect(cancelled.stoppedBy == .cancelled)
    }

    @Test func aSessionLivesUntilItIsClosed() async throws {
        let wired = try Wired()
        let session = try await wired.connection.spawn(Command(["sleep", "30"]))
        #expect(session.pid > 0 && session.isRunning && Self.alive(session.pid))
        let ended = await session.close(grace: .milliseconds(300))
        #expect(ended.stoppedBy == .closed)
        #expect(!session.isRunning)
        let short = try await wired.connection.spawn(Command(["true"]))
        #expect(await Self.eventually(120) { !short.isRunning }, "a session that ends by itself is seen to end")
    }

    @Test func filesAndDirectoriesGoBothWaysWithTheirModes() async throws {
        let wired = try Wired()
        let local = try Scratch().url
        let script = local.appendingPathComponent("run.sh")
        try "#!/bin/sh\necho hi\n".write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o750)
        let tree = local.appendingPathComponent("tree")
        try FileManager.default.createDirectory(
            at: tree.appendingPathComponent("a/b"), withIntermediateDirectories: true)
        let big = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try big.write(to: tree.appendingPathComponent("a/b/data.bin"))
        let connection = wired.connection
        try await connection.upload(script.path, to: "bin/run.sh")
        try await connection.upload(tree.path, to: wired.workDir + "/elsewhere/tree")
        let placed = wired.root + "/bin/run.sh"
        #expect(try String(contentsOfFile: placed, encoding: .utf8) == "#!/bin/sh\necho hi\n")
        #expect((try FileManager.default.attributesOfItem(atPath: placed)[.posixPermissions] as? Int) == 0o750)
        #expect(FileManager.default.contents(atPath: wired.workDir + "/elsewhere/tree/a/b/data.bin") == big)
        let run = try await connection.run(Command(["./bin/run.sh"]), options: RunOptions())
        #expect(run.stdout == "hi\n")
        try await connection.download("bin/run.sh", to: local.appendingPathComponent("back/run.sh").path)
        try await connection.download(wired.workDir + "/elsewhere/tree", to: local.appendingPathComponent("tree2").path)
        let back = local.appendingPathComponent("back/run.sh").path
        #expect((try FileManager.default.attributesOfItem(atPath: back)[.posixPermissions] as? Int) == 0o750)
        #expect(FileManager.default.contents(atPath: local.appendingPathComponent("tree2/a/b/data.bin").path) == big)
        let missing = await #expect(throws: TransportError.self) {
            try await connection.download("no/such/file", to: local.appendingPathComponent("x").path)
        }
        #expect(missing?.message.contains("no file or directory") == true, "\(String(describing: missing))")
    }

    @Test func aRequestRepeatedUnderTheSameIdIsNeverStartedTwice() async throws {
        let wired = try Wired()
        var request = AgentMessage(.run, id: AgentWire.newID())
        request.argv = ["sh", "-c", "echo ran >> count"]
        request.root = "targets/edge"
        _ = try await wired.link.call(request, target: "edge")
        let again = await #expect(throws: TransportError.self) { try await wired.link.call(request, target: "edge") }
        #expect(again?.message.contains("never started twice") == true, "\(String(describing: again))")
        #expect(try String(contentsOfFile: wired.root + "/count", encoding: .utf8) == "ran\n")
    }

    @Test func aCommandInFlightWhenTheConnectionDropsIsLostNotAnExitCodeAndIsStopped() async throws {
        let wired = try Wired()
        let connection = wired.connection
        let running = Task {
            try await connection.run(Command(["sh", "-c", "echo $$ > pid; exec sleep 30"]), options: RunOptions())
        }
        #expect(await Self.eventually(120) { FileManager.default.fileExists(atPath: wired.root + "/pid") })
        try await Task.sleep(for: .milliseconds(100))
        let pid = Int32(try String(contentsOfFile: wired.root + "/pid", encoding: .utf8).trimmed) ?? 0
        await wired.cut()
        let lost = await #expect(throws: TransportError.self) { try await running.value }
        #expect(lost?.message.contains("lost") == true, "\(String(describing: lost))")
        #expect(await Self.eventually(120) { !Self.alive(pid) }, "the agent left the command running")
        let after = await #expect(throws: TransportError.self) {
            try await connection.run(Command(["true"]), options: RunOptions())
        }
        #expect(after?.message.contains("lost") == true)
    }
}

/// Lines collected from several threads.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
