import Foundation
import Synchronization

/// A shell session kept open on an SSH target that runs one command at a time, fed over its stdin.
///
/// A command then costs no local `ssh` process, no new SSH session and no login shell: the runner
/// forks, applies the environment, changes to the root and execs the argv. Its stdout comes back
/// live as `O` lines, then its stderr as `E` lines (`o`/`e`: a last line without a newline), then
/// `X<exit code>`. Stopping a command stops the
/// runner's whole process group (the command's tree with it) and the runner is replaced.
final class SSHRunner: Sendable {
    /// The runner's remote process id, which is also its process group.
    let remotePID: Int32
    let process: WatchedProcess
    private let input: Int32
    private let state: Mutex<State>

    struct State {
        var request: Request?
        var closed = false
        var inputClosed = false
    }

    struct Request {
        var stdout = ""
        var stderr = ""
        var onLine: (@Sendable (String, Bool) -> Void)?
        var continuation: CheckedContinuation<CommandResult?, Never>
        var started: ContinuousClock.Instant
    }

    /// The remote program: reads `ID`, script lines, `ID`; runs the script in a subshell with stdin from
    /// /dev/null; streams stdout, then stderr, then the exit code.
    static let program = #"""
        echo "P$$"; d=$(mktemp -d 2>/dev/null || echo /tmp/lander-runner.$$); mkdir -p "$d"; trap 'rm -rf "$d"' EXIT
        while IFS= read -r i; do
          s=; while IFS= read -r l && [ "$l" != "$i" ]; do s="$s$l
        "; done
          { ( eval "$s" ) </dev/null 2>"$d/e"; echo $? >"$d/x"; } | { while IFS= read -r o; do printf 'O%s\n' "$o"; done; [ -z "$o" ] || printf 'o%s\n' "$o"; }
          { while IFS= read -r o; do printf 'E%s\n' "$o"; done; [ -z "$o" ] || printf 'e%s\n' "$o"; } <"$d/e"
          read -r x <"$d/x"; printf 'X%s\n' "$x"
        done
        """#

    private init(remotePID: Int32, process: WatchedProcess, input: Int32) {
        self.remotePID = remotePID
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

    /// Starts a runner through the connection's master; nil when it could not start.
    static func start(on connection: SSHConnection) async -> SSHRunner? {
        let box = RunnerBox()
        let started: (process: WatchedProcess, input: Int32?)
        do {
            started = try ProcessLauncher.startKeepingInput(
                connection.sshCommand(program), environment: connection.localEnvironment, directory: nil, input: nil,
                keepInput: true, target: connection.target, onLine: { line, isError in box.received(line, isError) })
        } catch {
            return nil
        }
        guard let input = started.input else { return nil }
        guard let pid = await box.waitForPID(process: started.process) else {
            close(input)
            started.process.stop(.closed, grace: .seconds(1))
            return nil
        }
        let runner = SSHRunner(remotePID: pid, process: started.process, input: input)
        box.attach(runner)
        // When the runner's ssh ends (stopped, or the connection went), a pending command gets no result.
        Task { [weak runner] in
            _ = await started.process.wait()
            runner?.fail()
        }
        return runner
    }

    /// Whether it can take another command.
    var isUsable: Bool { process.isRunning && state.withLock { !$0.closed && $0.request == nil } }

    /// Runs one script; nil when the runner died (its command was stopped or the connection was lost).
    func execute(_ script: String, onLine: (@Sendable (String, Bool) -> Void)?) async -> CommandResult? {
        await withCheckedContinuation { continuation in
            let accepted = state.withLock { state -> Bool in
                guard !state.closed, state.request == nil else { return false }
                state.request = Request(onLine: onLine, continuation: continuation, started: .now)
                return true
            }
            guard accepted else { return continuation.resume(returning: nil) }
            let marker = RemoteScript.newMarker()
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

    /// One line the runner printed.
    func received(_ line: String) {
        guard let tag = line.first else { return }
        let body = String(line.dropFirst())
        switch tag {
        case "O", "E", "o", "e":
            let text = tag.isUppercase ? body + "\n" : body
            let isError = tag == "E" || tag == "e"
            let onLine = state.withLock { state -> (@Sendable (String, Bool) -> Void)? in
                if isError { state.request?.stderr += text } else { state.request?.stdout += text }
                return state.request?.onLine
            }
            onLine?(body, isError)
        case "X":
            let request = state.withLock { state -> Request? in
                defer { state.request = nil }
                return state.request
            }
            guard let request else { return }
            let code = Int32(body) ?? 255
            request.continuation.resume(
                returning: CommandResult(
                    exitCode: code, signal: code > 128 ? code - 128 : nil, stdout: request.stdout,
                    stderr: request.stderr, duration: .now - request.started))
        default:
            break
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
    private let pid = Mutex<(value: Int32?, runner: SSHRunner?)>((nil, nil))

    func received(_ line: String, _ isError: Bool) {
        guard !isError else { return }
        let runner = pid.withLock { box -> SSHRunner? in
            if box.value == nil, line.hasPrefix("P") { box.value = Int32(line.dropFirst()) }
            return box.runner
        }
        runner?.received(line)
    }

    func attach(_ runner: SSHRunner) { pid.withLock { $0.runner = runner } }

    func waitForPID(process: WatchedProcess) async -> Int32? {
        for _ in 0..<3000 {
            if let value = pid.withLock({ $0.value }) { return value }
            if !process.isRunning { return nil }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }
}
