/// The command line an SSH target's shell runs for one argv, and the environment sent on its stdin.
///
/// The remote login shell runs: `printf '%s\n' "$$" >&2; eval "$(head -c N)" && mkdir -p ROOT && cd ROOT
/// && exec ARGV </dev/null`. The process id (also its process group: sshd starts each session with
/// setsid) goes to stderr first, so a cancellation can stop the remote tree. Variables travel on
/// stdin as `export NAME='value'` lines, so no value appears in any process list, local or remote.
struct RemoteScript {
    /// The command line for `ssh … -- LINE`.
    var line: String
    /// What to write to the ssh client's stdin.
    var input: [UInt8]

    init(argv: [String], environment: [String: String], root: String) {
        let exports = environment.sorted { $0.key < $1.key }
            .filter { Self.isName($0.key) }
            .map { "export \($0.key)=\(Self.quote($0.value))\n" }.joined()
        input = Array(exports.utf8)
        let directory = Self.quotePath(root)
        line =
            "printf '%s\\n' \"$$\" >&2; eval \"$(head -c \(input.count))\" && mkdir -p \(directory) && cd \(directory) && exec "
            + argv.map(Self.quote).joined(separator: " ") + " </dev/null"
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
