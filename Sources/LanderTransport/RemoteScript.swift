/// The command line an SSH target's shell runs for one argv, and the environment sent on its stdin.
///
/// The remote login shell prints its process id to stderr first (also its process group: sshd starts
/// each session with setsid), so a cancellation can stop the remote tree; reads `export NAME='value'`
/// lines from stdin up to a random end marker with the shell's own `read` (no extra process), so no
/// value appears in any process list, local or remote; changes to the root (made when missing); and
/// execs the argv with stdin from /dev/null. Only the shell and the command itself start remotely.
struct RemoteScript {
    /// The command line for `ssh … -- LINE`.
    var line: String
    /// What to write to the ssh client's stdin.
    var input: [UInt8]

    init(argv: [String], environment: [String: String], root: String, marker: String = Self.newMarker()) {
        let exports = Self.exports(environment)
        input = Array((exports + marker + "\n").utf8)
        let directory = Self.quotePath(root)
        line =
            "echo $$ >&2; s=; while IFS= read -r l && [ \"$l\" != \(marker) ]; do s=\"$s$l\n\"; done; eval \"$s\" && "
            + "{ cd \(directory) 2>/dev/null || { mkdir -p \(directory) && cd \(directory); }; } && exec "
            + argv.map(Self.quote).joined(separator: " ") + " </dev/null"
    }

    /// What a runner session evaluates for one command: exports, the root, the argv. With `ownGroup` the
    /// argv runs under `setsid` (same pid, a process group of its own).
    static func body(argv: [String], environment: [String: String], root: String, ownGroup: Bool) -> String {
        let exports = exports(environment)
        let directory = quotePath(root)
        return exports
            + "{ cd \(directory) 2>/dev/null || { mkdir -p \(directory) && cd \(directory); }; } && exec "
            + (ownGroup ? "setsid " : "") + argv.map(quote).joined(separator: " ") + "\n"
    }

    /// `export NAME='value'` lines; with `LANDER_BIN`, that directory first on PATH.
    static func exports(_ environment: [String: String]) -> String {
        let lines = environment.sorted { $0.key < $1.key }
            .filter { isName($0.key) }
            .map { "export \($0.key)=\(quote($0.value))\n" }.joined()
        guard environment[Command.binVariable] != nil else { return lines }
        return lines + "PATH=\"$\(Command.binVariable):$PATH\"\n"
    }

    /// An end marker no value line can equal by accident.
    static func newMarker() -> String {
        "LANDER_END_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    /// A word for a POSIX shell: single-quoted, with `'` written as `'\''`; arrives byte for byte.
    static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// A path for the remote shell; a leading `~/` stays unquoted so the shell expands it.
    static func quotePath(_ path: String) -> String {
        if path == "~" { return "~" }
        if path.hasPrefix("~/") { return "~/" + quote(String(path.dropFirst(2))) }
        return quote(path)
    }

    static func isName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
        }
    }
}
