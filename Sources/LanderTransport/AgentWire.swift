import Foundation

/// One message between the server and an agent, as a WebSocket text frame of JSON; every request and its
/// answers share an `id` (a UUID, never reused: an agent refuses an id it has already started).
///
/// Bulk bytes (an upload's or a download's content, a forwarded stream) travel as binary frames whose first
/// 36 bytes are the id; the rest is a chunk of at most `AgentWire.chunkSize` bytes.
public struct AgentMessage: Codable, Sendable, Equatable {
    /// What the message asks or answers.
    public enum Op: String, Codable, Sendable {
        // The connection.
        case hello, welcome, refused
        /// Server → agent: the live servers of its store changed (`servers`).
        case servers
        // Server → agent.
        case run, spawn, close, cancel, put
        case putEnd = "put-end"
        case get, listen, eof
        // Agent → server.
        case line, exit, spawned, ended, done, failed, dial
    }

    /// What it is.
    public var op: Op
    /// The request it belongs to.
    public var id: String?
    /// A command's program and arguments.
    public var argv: [String]?
    /// A command's added environment (travels here, never on a command line).
    public var env: [String: String]?
    /// The target's root on the agent's machine (relative: under the agent's work directory).
    public var root: String?
    /// The longest a command may run, in milliseconds.
    public var timeoutMs: Int?
    /// Whether the server wants each output line as it comes.
    public var lines: Bool?
    /// A file or directory on the agent's machine (relative: under the root).
    public var path: String?
    /// Whether a transfer is a directory (its content travels as a tar archive).
    public var directory: Bool?
    /// A file's permission bits.
    public var mode: Int?
    /// A line of output, or why something failed or was refused.
    public var text: String?
    /// Whether `text` is a line of standard error.
    public var isError: Bool?
    /// How a command ended.
    public var exitCode: Int32?
    /// The signal that ended it.
    public var signal: Int32?
    /// Its standard output and error.
    public var stdout: String?
    /// Its standard error.
    public var stderr: String?
    /// How long it ran, in milliseconds.
    public var durationMs: Int?
    /// Why it was stopped (`StopReason`'s raw value).
    public var stopped: String?
    /// A session process's id.
    public var pid: Int32?
    /// How long a stopped process has between SIGTERM and SIGKILL, in milliseconds.
    public var graceMs: Int?
    /// Bytes moved.
    public var size: Int?
    /// The request a forwarded stream belongs to (`dial` names its listener).
    public var listener: String?
    /// The connected agent's environment (in `welcome`).
    public var environment: String?
    /// The connected agent's roles (in `welcome`).
    public var roles: [String]?
    /// The answering server's id, `HOST:PID` (in `welcome`).
    public var server: String?
    /// Every live server of the store with the address it advertises (in `welcome` and `servers`).
    public var servers: [AgentServerAddress]?

    /// A message with only an op and an id.
    public init(_ op: Op, id: String? = nil) {
        self.op = op
        self.id = id
    }

    enum CodingKeys: String, CodingKey {
        case op, id, argv, env, root, lines, path, directory, mode, text, signal, stdout, stderr, pid, size, listener
        case environment, roles, server, servers
        case timeoutMs = "timeout_ms"
        case isError = "is_error"
        case exitCode = "exit_code"
        case durationMs = "duration_ms"
        case stopped
        case graceMs = "grace_ms"
    }

    /// The message as a text frame.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = (try? encoder.encode(self)) ?? Data(#"{"op":"failed"}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads a text frame; nil when it is not a message.
    public init?(json text: String) {
        guard let message = try? JSONDecoder().decode(Self.self, from: Data(text.utf8)) else { return nil }
        self = message
    }

    /// The answer to a finished command.
    public init(exit result: CommandResult, id: String) {
        self.init(.exit, id: id)
        exitCode = result.exitCode
        signal = result.signal
        stdout = result.stdout
        stderr = result.stderr
        durationMs = AgentConnection.milliseconds(result.duration)
        stopped = result.stoppedBy?.rawValue
    }

    /// The command result an `exit` message carries.
    public var result: CommandResult {
        CommandResult(
            exitCode: exitCode ?? -1, signal: signal, stdout: stdout ?? "", stderr: stderr ?? "",
            duration: .milliseconds(durationMs ?? 0), stoppedBy: stopped.flatMap(StopReason.init(rawValue:)))
    }
}

/// A server an agent may connect to: its id (`HOST:PID`) and the address it advertises.
public struct AgentServerAddress: Codable, Sendable, Hashable {
    /// `HOST:PID`, as `lander server status` lists it.
    public var id: String
    /// Its URL (`https://host:port`).
    public var address: String

    /// Names a server.
    public init(id: String, address: String) {
        self.id = id
        self.address = address
    }
}

/// Framing shared by both ends.
public enum AgentWire {
    /// The largest chunk of bulk bytes in one binary frame.
    public static let chunkSize = 64 * 1024
    /// The largest message either end takes (a command's result holds up to 1 MiB of each stream).
    public static let maxMessage = 8 << 20
    /// The length of the id at the front of a binary frame.
    public static let idLength = 36

    /// A binary frame: the id, then the bytes.
    public static func chunk(id: String, _ bytes: some Collection<UInt8>) -> [UInt8] {
        var frame = Array(id.utf8.prefix(idLength))
        frame.append(contentsOf: [UInt8](repeating: 0x20, count: idLength - frame.count))
        frame.append(contentsOf: bytes)
        return frame
    }

    /// Splits a binary frame into its id and its bytes; nil when it is too short.
    public static func split(_ frame: [UInt8]) -> (id: String, bytes: ArraySlice<UInt8>)? {
        guard frame.count >= idLength else { return nil }
        let id = String(decoding: frame[0..<idLength], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        return (id, frame[idLength...])
    }

    /// A fresh request id.
    public static func newID() -> String { UUID().uuidString }
}

/// A frame either way.
public enum AgentFrame: Sendable {
    /// A JSON message.
    case text(String)
    /// Bulk bytes behind an id.
    case binary([UInt8])
}
