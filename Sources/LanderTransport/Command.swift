/// A command as data: the program and its arguments, and environment variables to add.
///
/// Commands are argv arrays, never strings pasted into a shell; they are built in one place and run by a transport.
public struct Command: Sendable, Hashable, CustomStringConvertible {
    /// The program (searched on PATH unless it holds a `/`) and its arguments.
    public var argv: [String]
    /// Variables added to the target's environment for this command.
    public var environment: [String: String]

    /// Creates a command.
    public init(_ argv: [String], environment: [String: String] = [:]) {
        self.argv = argv
        self.environment = environment
    }

    /// A variable naming a directory of Lander's tools on the target, put first on the command's PATH.
    public static let binVariable = "LANDER_BIN"

    /// The argv as a person would type it (quoted where needed); for display only, never executed.
    public var description: String { argv.map(Self.quoted).joined(separator: " ") }

    /// One word quoted for display the way a POSIX shell would read it back.
    public static func quoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%{}".contains($0) }
        if plain, !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

/// How one command run may go: a time limit and a receiver for output lines as they come.
public struct RunOptions: Sendable {
    /// The longest the command may run; then its whole process group is killed.
    public var timeout: Duration?
    /// Receives each line of output as it arrives (`true`: standard error).
    public var onLine: (@Sendable (_ line: String, _ isError: Bool) -> Void)?

    /// Creates options.
    public init(timeout: Duration? = nil, onLine: (@Sendable (String, Bool) -> Void)? = nil) {
        self.timeout = timeout
        self.onLine = onLine
    }
}

/// What a finished command left: its exit code and output.
public struct CommandResult: Sendable, Hashable {
    /// The exit code, or 128 + the signal that ended it.
    public var exitCode: Int32
    /// The signal that ended it, if one did.
    public var signal: Int32?
    /// Standard output (at most `LocalTransport.outputLimit` bytes are kept; the rest is cut from the front).
    public var stdout: String
    /// Standard error (kept the same way).
    public var stderr: String
    /// How long it ran.
    public var duration: Duration
    /// Why Lander stopped it, if it did.
    public var stoppedBy: StopReason?

    /// Whether it exited 0.
    public var succeeded: Bool { exitCode == 0 && stoppedBy == nil }

    /// Creates a result.
    public init(
        exitCode: Int32, signal: Int32? = nil, stdout: String = "", stderr: String = "", duration: Duration = .zero,
        stoppedBy: StopReason? = nil
    ) {
        self.exitCode = exitCode
        self.signal = signal
        self.stdout = stdout
        self.stderr = stderr
        self.duration = duration
        self.stoppedBy = stoppedBy
    }
}

/// Why Lander stopped a running command.
public enum StopReason: String, Sendable, Hashable {
    /// It ran past its timeout.
    case timeout
    /// The deployment was cancelled (Ctrl-C, SIGTERM, halt_on_error).
    case cancelled
    /// Its session was closed.
    case closed
}
