import Foundation
import Synchronization

/// A shell session kept open on an SSH target that runs one command at a time, fed over its stdin.
///
/// A command then costs no local `ssh` process, no new SSH session and no login shell: the runner
/// forks once, applies the environment, changes to the root and execs the argv. The command writes
/// its stdout straight to the session (it streams live); its stderr goes to a file the runner sends
/// afterwards. Both end in `MARKER E` / `MARKER X<exit code>` lines, where MARKER is random per
/// command, so no output can end a command early.
///
/// Where the target has `setsid` and `/proc` (Linux), each command runs in a process group of its own
/// (the runner's only child while it runs): stopping it stops that group and the runner lives on.
/// Elsewhere stopping a command stops the runner's whole group and the runner is replaced.
/// The master connection's own session is a runner too (the primary one), so the first command on a
/// target costs nothing beyond the connection.
final class SSHRunner: Sendable {
    /// The runner's remote process id, which is also its process group.
    let remotePID: Int32
    /// Whether each command gets a process group of its own (and can be stopped alone).
    let groupsCommands: Bool
    /// Whether this is the master connection's own session, which lives as long as the connection.
    let isPrimary: Bool
    let process: WatchedProcess
    private let input: Int32
    private let state: Mutex<State>

    struct State {
        var request: Request?
        var closed = false
        var inputClosed = false
    }

    struct Request {
        /// `MARKER ` of this command.
        var marker: String
        var readingStderr = false
        var stdout = ""
        var stderr = ""
        var onLine: (@Sendable (String, Bool) -> Void)?
        var continuation: CheckedContinuation<CommandResult?, Never>
        var started: ContinuousClock.Instant
    }

    /// The remote program: prints `P<pid> <g|->` (g: commands get groups of their own); then reads
    /// `MARKER`, script lines, `MARKER`; runs the script in a subshell with stdin from /dev/null and
    /// stderr to a file; then prints `MARKER E`, the stderr when there was any, `MARKER X<code>`.
    static let program = #"""
        g=-; command -v setsid >/dev/null 2>&1 && [ -r /proc/self/stat ] && g=g
        echo "P$$ $g"; d=$(mktemp -d 2>/dev/null || echo /tmp/lander-runner.$$); mkdir -p "$d"; trap 'rm -rf "$d"' EXIT
        while IFS= read -r i; do
          s=; while IFS= read -r l && [ "$l" != "$i" ]; do s="$s$l
        "; done
          ( eval "$s" ) </dev/null 2>"$d/e"; x=$?
          printf '%s E\n' "$i"; [ -s "$d/e" ] && cat "$d/e"
          printf '%s X%s\n' "$i" "$x"
        done
        """#

    private init(remotePID: Int32, groupsCommands: Bool, isPrimary: Bool, process: WatchedProcess, input: Int32) {
        self.remotePID = remotePID
        self.groupsCommands = groupsCommands
        self.isPrimary = isPrimary
        self.process = process
        self.input = input
        self.state = Mutex(State())
    }

    deinit { shutdownInput() }

    private func shutdownInput() {
        let first = state.withLock { state -> Bool in
            defer { state.inputClosed = true }
            return !state.inputClosed
        }
        if first { close(input) }
    }

    /// How starting a runner went.
    enum Launch {
        case ready(SSHRunner)
        /// It did not start; the process (when there was one) has ended, with what ssh printed.
        case failed(WatchedProcess?)
    }

    /// Starts a runner through the connection's master.
    static func start(on connection: SSHConnection) async -> SSHRunner? {
        if case .ready(let runner) = await launch(connection.sshCommand(program), on: connection, primary: false) {
            return runner
        }
        return nil
    }

    /// Starts `argv` (an ssh running `program`) and waits until the runner reports in, for up to `patience`.
    static func launch(
        _ argv: [String], on connection: SSHConnection, primary: Bool, patience: Duration = .seconds(30)
    ) async -> Launch {
        let box = RunnerBox()
        let started: (process: WatchedProcess, input: Int32?)
        do {
            started = try ProcessLauncher.startKeepingInput(
                argv, environment: connection.localEnvironment, directory: nil, input: nil, keepInput: true,
                target: connection.target, onLine: { line, isError in box.received(line, isError) })
        } catch {
            return .failed(nil)
        }
        guard let input = started.input else { return .failed(started.process) }
        // When the runner's ssh ends (stopped, or the connection went), a pending command gets no result.
        Task {
            _ = await started.process.wait()
            box.ended()
        }
        let timer = Task {
            try await Task.sleep(for: patience)
            box.ended()
        }
        let hello = await box.waitForHello()
        timer.cancel()
        guard let hello else {
            close(input)
            if started.process.isRunning { started.process.stop(.timeout, grace: .seconds(1)) }
            return .failed(started.process)
        }
        let runner = SSHRunner(
            remotePID: hello.pid, groupsCommands: hello.groups, isPrimary: primary, process: started.process,
            input: input)
        box.attach(runner)
        if !started.process.isRunning { runner.fail() }
        return .ready(runner)
    }

    /// Whether it can take another command.
    var isUsable: Bool { process.isRunning && state.withLock { !$0.closed && $0.request == nil } }

    /// Runs one script; nil when the runner died (its command was stopped or the connection was lost).
    func execute(_ script: String, onLine: (@Sendable (String, Bool) -> Void)?) async -> CommandResult? {
        await withCheckedContinuation { continuation in
            let marker = RemoteScript.newMarker()
            let accepted = state.withLock { state -> Bool in
                guard !state.closed, state.request == nil else { return false }
                state.request = Request(
                    marker: marker + " ", onLine: onLine, continuation: continuation, started: .now)
                return true
            }
            guard accepted else { return continuation.resume(returning: nil) }
            let text = marker + "\n" + script + marker + "\n"
            if !ProcessLauncher.writeAll(input, Array(text.utf8)) { fail() }
        }
    }

    /// Ends the pending command without a result (the runner is gone).
    func fail() {
        let request = state.withLock { state -> Request? in
            state.closed = true
            defer { state.request = nil }
            return state.request
        }
        request?.continuation.resume(returning: nil)
    }

    /// One line the runner printed: output, or (after a last line without a newline) a marker line.
    func received(_ line: String) {
        enum Event {
            case output(String, isError: Bool, onLine: (@Sendable (String, Bool) -> Void)?)
            case finished(Request, code: Int32)
        }
        var events: [Event] = []
        state.withLock { state in
            guard var request = state.request else { return }
            let isError = request.readingStderr
            var text = Substring(line)
            var tag: Substring?
            if let marker = line.range(of: request.marker) {
                text = line[..<marker.lowerBound]
                tag = line[marker.upperBound...]
            }
            if tag == nil || !text.isEmpty {
                let piece = tag == nil ? text + "\n" : text
                if isError { request.stderr += piece } else { request.stdout += piece }
                events.append(.output(String(text), isError: isError, onLine: request.onLine))
            }
            if tag == "E" {
                request.readingStderr = true
            } else if let tag, tag.first == "X" {
                state.request = nil
                events.append(.finished(request, code: Int32(tag.dropFirst()) ?? 255))
                return
            }
            state.request = request
        }
        for event in events {
            switch event {
            case .output(let text, let isError, let onLine): onLine?(text, isError)
            case .finished(let request, let code):
                request.continuation.resume(
                    returning: CommandResult(
                        exitCode: code, signal: code > 128 ? code - 128 : nil, stdout: request.stdout,
                        stderr: request.stderr, duration: .now - request.started))
            }
        }
    }

    /// Closes the runner's stdin (it exits at end of input) and stops its process.
    func shutdown() {
        state.withLock { $0.closed = true }
        shutdownInput()
        process.stop(.closed, grace: .seconds(1))
    }
}

/// Routes a runner's output lines before and after the runner object exists.
private final class RunnerBox: Sendable {
    typealias Hello = (pid: Int32, groups: Bool)
    private struct State {
        var hello: Hello?
        var ended = false
        var waiter: CheckedContinuation<Hello?, Never>?
        var runner: SSHRunner?
    }
    private let state = Mutex(State())

    func received(_ line: String, _ isError: Bool) {
        guard !isError else { return }
        let (runner, waiter, hello) = state.withLock {
            state -> (SSHRunner?, CheckedContinuation<Hello?, Never>?, Hello?) in
            guard state.hello == nil else { return (state.runner, nil, nil) }
            let words = line.split(separator: " ")
            guard words.count == 2, words[0].hasPrefix("P"), let pid = Int32(words[0].dropFirst()) else {
                return (nil, nil, nil)
            }
            let hello = (pid: pid, groups: words[1] == "g")
            state.hello = hello
            defer { state.waiter = nil }
            return (nil, state.waiter, hello)
        }
        if let waiter { waiter.resume(returning: hello) }
        runner?.received(line)
    }

    /// The runner's ssh ended, or it did not report in time.
    func ended() {
        let (runner, waiter) = state.withLock { state in
            state.ended = true
            defer { state.waiter = nil }
            return (state.runner, state.waiter)
        }
        waiter?.resume(returning: nil)
        runner?.fail()
    }

    func attach(_ runner: SSHRunner) { state.withLock { $0.runner = runner } }

    /// The runner's pid and abilities once it reports them; nil when it ended first.
    func waitForHello() async -> Hello? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Hello?? in
                if let hello = state.hello { return .some(hello) }
                if state.ended { return .some(nil) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
