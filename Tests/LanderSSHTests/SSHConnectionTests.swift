import Foundation
import LanderTesting
import LanderTransport
import Testing

@Suite struct SSHConnectionTests {
    @Test(arguments: [
        "plain", "with spaces", "it's quoted", "double \"quotes\"", "$HOME and $(id) and `id`", "a;b && c | d",
        "*", "new\nline", "tab\there", "ünïcødé ✓ 日本", "back\\slash", "", "-n", "--", "{}",
    ])
    func argumentsArriveUnchanged(argument: String) async throws {
        let targets = try await SSHTargets.start(1)
        let connection = targets.connection("t1")
        defer { Task { await connection.close() } }
        let result = try await connection.run(
            Command(["printf", "%s|", argument, "second"]), options: RunOptions())
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout == argument + "|second|")
        await connection.close()
    }

    @Test func runsInTheRootWithTheEnvironmentAndNoValueInAnyProcessList() async throws {
        let targets = try await SSHTargets.start(1)
        let connection = targets.connection("t1", root: targets.targets[0].root + "/deep/root")
        let secret = "s3cr3t 'with' $special \"chars\"\nand a newline"
        let result = try await connection.run(
            Command(
                ["sh", "-c", "pwd; printf '%s' \"$TOKEN\" > token; ps -eo args > ps.txt"],
                environment: ["TOKEN": secret, "PLAIN": "x"]),
            options: RunOptions())
        await connection.close()
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout == targets.targets[0].root + "/deep/root\n")
        let root = targets.targets[0].root + "/deep/root"
        #expect(try String(contentsOfFile: root + "/token", encoding: .utf8) == secret)
        let processes = try String(contentsOfFile: root + "/ps.txt", encoding: .utf8)
        #expect(!processes.contains("s3cr3t"))
    }

    @Test func exitCodesAndStreamsComeBack() async throws {
        let targets = try await SSHTargets.start(1)
        let connection = targets.connection("t1")
        let lines = Lines()
        let result = try await connection.run(
            Command(["sh", "-c", "echo out; echo err >&2; exit 7"]),
            options: RunOptions(onLine: { line, isError in lines.add((isError ? "err:" : "out:") + line) }))
        await connection.close()
        #expect(result.exitCode == 7)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
        #expect(lines.all.sorted() == ["err:err", "out:out"])
    }

    @Test func outputWithoutAFinalNewlineOrWithBlankLinesStaysExactAcrossCommands() async throws {
        let targets = try await SSHTargets.start(1)
        let connection = targets.connection("t1")
        let first = try await connection.run(
            Command(["sh", "-c", "printf 'a\\n\\n\\nb'; printf 'x\\n\\ny' >&2; exit 3"]), options: RunOptions())
        let second = try await connection.run(Command(["printf", "\n"]), options: RunOptions())
        let third = try await connection.run(Command(["true"]), options: RunOptions())
        await connection.close()
        #expect(first.exitCode == 3)
        #expect(first.stdout == "a\n\n\nb")
        #expect(first.stderr == "x\n\ny")
        #expect(second.stdout == "\n" && second.stderr.isEmpty && second.exitCode == 0)
        #expect(third.stdout.isEmpty && third.stderr.isEmpty && third.exitCode == 0)
    }

    @Test func manyCommandsShareOneTCPConnection() async throws {
        let targets = try await SSHTargets.start(1)
        let connection = targets.connection("t1")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    let result = try await connection.run(Command(["echo", String(index)]), options: RunOptions())
                    #expect(result.stdout == "\(index)\n")
                }
            }
            try await group.waitForAll()
        }
        await connection.close()
        #expect(targets.connectionsAccepted("t1") == 1)
    }

    @Test func uploadAndDownloadKeepContentAndModes() async throws {
        let targets = try await SSHTargets.start(1)
        let connection = targets.connection("t1")
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("lander-up-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: local.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try "#!/bin/sh\necho hi\n".write(
            to: local.appendingPathComponent("bin/run me.sh"), atomically: true, encoding: .utf8)
        chmod(local.appendingPathComponent("bin/run me.sh").path, 0o750)
        try await connection.upload(local.path, to: "pkg/app")
        let listing = try await connection.run(
            Command(["sh", "-c", "stat -c '%a %n' 'pkg/app/bin/run me.sh'; 'pkg/app/bin/run me.sh'"]),
            options: RunOptions())
        #expect(listing.stdout == "750 pkg/app/bin/run me.sh\nhi\n", "\(listing.stderr)")
        let back = local.deletingLastPathComponent().appendingPathComponent("lander-down-\(UUID().uuidString)")
        try await connection.download("pkg/app", to: back.path)
        await connection.close()
        var info = stat()
        stat(back.appendingPathComponent("bin/run me.sh").path, &info)
        #expect(info.st_mode & 0o777 == 0o750)
        #expect(
            try String(contentsOf: back.appendingPathComponent("bin/run me.sh"), encoding: .utf8)
                == "#!/bin/sh\necho hi\n")
    }

    @Test func anUnknownHostKeyIsRefusedWithWhatToDo() async throws {
        let targets = try await SSHTargets.start(1)
        try "".write(
            toFile: targets.directory.appendingPathComponent("known_hosts").path, atomically: true, encoding: .utf8)
        let connection = targets.connection("t1")
        let error = await #expect(throws: TransportError.self) {
            try await connection.run(Command(["true"]), options: RunOptions())
        }
        #expect(
            error?.description.contains("target 't1': the host key of t1 is not in known_hosts") == true,
            "\(String(describing: error))")
        #expect(error?.description.contains("host_key_checking: accept-new") == true)
        let known = targets.directory.appendingPathComponent("known_hosts").path
        let keyscan = "ssh-keyscan -p \(targets.targets[0].port) 127.0.0.1 >> \"\(known)\""
        #expect(error?.description.contains(keyscan) == true, "the exact command: \(String(describing: error))")
        // accept-new is the explicit way in, and then records the key.
        let accepting = targets.connection("t1", hostKeyChecking: "accept-new")
        let result = try await accepting.run(Command(["true"]), options: RunOptions())
        await accepting.close()
        #expect(result.exitCode == 0)
        #expect(try String(contentsOfFile: known, encoding: .utf8).contains("ssh-ed25519"))
    }

    @Test func aChangedHostKeyIsRefused() async throws {
        let targets = try await SSHTargets.start(1)
        let known = targets.directory.appendingPathComponent("known_hosts").path
        let other = targets.directory.appendingPathComponent("other_key")
        _ = await SSHTargets.run(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other.path])
        let otherKey = try String(contentsOfFile: other.path + ".pub", encoding: .utf8).split(separator: " ").prefix(2)
            .joined(separator: " ")
        try "[127.0.0.1]:\(targets.targets[0].port) \(otherKey)\n".write(
            toFile: known, atomically: true, encoding: .utf8)
        let connection = targets.connection("t1", hostKeyChecking: "accept-new")
        let error = await #expect(throws: TransportError.self) {
            try await connection.run(Command(["true"]), options: RunOptions())
        }
        #expect(error?.description.contains("has CHANGED") == true, "\(String(describing: error))")
        // The hint is the exact command for the file and the `[host]:port` entry in use, and it works.
        let text = error?.description ?? ""
        let expected = "ssh-keygen -f \"\(known)\" -R \"[127.0.0.1]:\(targets.targets[0].port)\""
        #expect(text.contains(expected), "\(text)")
        #expect(!text.contains("ssh-keygen -R HOST"))
        _ = await SSHTargets.run(["/usr/bin/ssh-keygen", "-f", known, "-R", "[127.0.0.1]:\(targets.targets[0].port)"])
        let result = try await targets.connection("t1", hostKeyChecking: "accept-new").run(
            Command(["true"]), options: RunOptions())
        #expect(result.exitCode == 0, "after the hinted command the new key is accepted")
    }

    @Test func anUnreachableTargetIsReportedAsSuch() async throws {
        let targets = try await SSHTargets.start(1)
        // A port held here refuses connections, and no test's sshd starting in parallel can take it (as it
        // could a stopped sshd's port).
        let held = try HeldPort()
        let connection = targets.connection("t1", options: ["Port": "\(held.port)"])
        let error = await #expect(throws: TransportError.self) {
            try await connection.run(Command(["true"]), options: RunOptions())
        }
        #expect(error?.description.contains("is unreachable") == true, "\(String(describing: error))")
    }

    @Test func cancellationStopsTheRemoteProcessTree() async throws {
        let targets = try await SSHTargets.start(1)
        let connection = targets.connection("t1")
        let root = targets.targets[0].root
        let task = Task {
            try await connection.run(
                Command(["sh", "-c", "sleep 60 & echo $! > child.pid; sleep 60"]), options: RunOptions())
        }
        var child: Int32?
        for _ in 0..<500 where child == nil {
            child = (try? String(contentsOfFile: root + "/child.pid", encoding: .utf8))
                .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            try await Task.sleep(for: .milliseconds(10))
        }
        let pid = try #require(child)
        task.cancel()
        let result = try await task.value
        #expect(result.stoppedBy == .cancelled)
        for _ in 0..<200 where runs(pid) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!runs(pid), "the remote child \(pid) outlived the cancelled command")
        await connection.close()
    }

    @Test func aTimeoutStopsTheRemoteCommand() async throws {
        let targets = try await SSHTargets.start(1)
        let connection = targets.connection("t1")
        let result = try await connection.run(
            Command(["sh", "-c", "echo $$ > cmd.pid; sleep 60"]), options: RunOptions(timeout: .milliseconds(500)))
        #expect(result.stoppedBy == .timeout)
        let pid = try #require(
            Int32(
                try String(contentsOfFile: targets.targets[0].root + "/cmd.pid", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
        for _ in 0..<200 where runs(pid) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!runs(pid))
        // The connection outlives the stopped command: the next one rides the same TCP connection.
        let next = try await connection.run(Command(["echo", "still here"]), options: RunOptions())
        #expect(next.stdout == "still here\n" && next.stoppedBy == nil)
        #expect(connection.isConnected)
        await connection.close()
        #expect(targets.connectionsAccepted("t1") == 1)
    }

    @Test func aSilentlyDroppedConnectionIsNoticedByKeepalives() async throws {
        let targets = try await SSHTargets.start(1)
        // Fast keepalives so the test is short; the default (5 s × 3) notices within about 15 s.
        let connection = targets.connection("t1", options: ["ServerAliveInterval": "1", "ServerAliveCountMax": "2"])
        _ = try await connection.run(Command(["true"]), options: RunOptions())
        // The peer goes silent while a command runs on it (stopping sshd before the command would race the
        // keepalives: on a loaded machine the master could be found dead before the command starts).
        async let running = Self.outcome(of: connection, Command(["sh", "-c", "touch started; sleep 30"]))
        let marker = targets.targets[0].root + "/started"
        for _ in 0..<1000 where !FileManager.default.fileExists(atPath: marker) {
            try await Task.sleep(for: .milliseconds(10))
        }
        let servers = targets.sshdProcesses("t1")
        for pid in servers { kill(pid, SIGSTOP) }
        defer { for pid in servers { kill(pid, SIGKILL) } }
        // Lost, not finished: the keepalives noticed the silent peer before `sleep 30` could end.
        let outcome = await running
        #expect(outcome.contains("connection to t1 was lost"), "\(outcome)")
    }

    /// How a command ended: `finished with CODE`, or the error that ended it.
    static func outcome(of connection: SSHConnection, _ command: Command) async -> String {
        do {
            let result = try await connection.run(command, options: RunOptions())
            return "finished with \(result.exitCode)"
        } catch {
            return error.description
        }
    }
}

/// Lines collected from another thread.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
