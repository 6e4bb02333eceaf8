/// Refuses archive entries that would land outside the destination: absolute paths, `..` components,
/// links pointing out, and device files. Works on listings (`tar -tvzf`, `zipinfo`), so the same check
/// runs wherever the archive is.
public enum ArchiveCheck {
    /// One entry of an archive.
    public struct Entry: Sendable, Equatable {
        /// Its path in the archive.
        public var path: String
        /// `-` file, `d` directory, `l` symlink, `h` hard link, others (devices, fifos).
        public var kind: Character
        /// Where a link points.
        public var linkTarget: String?

        /// Creates an entry.
        public init(path: String, kind: Character, linkTarget: String? = nil) {
            self.path = path
            self.kind = kind
            self.linkTarget = linkTarget
        }
    }

    /// The entries of a GNU `tar -tvzf --quoting-style=escape` listing.
    public static func tarEntries(_ listing: String) -> [Entry] {
        listing.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, let kind = fields[0].first else { return nil }
            let rest = String(fields[5])
            if kind == "l", let arrow = rest.range(of: " -> ") {
                return Entry(
                    path: unescape(rest[..<arrow.lowerBound]), kind: "l",
                    linkTarget: unescape(rest[arrow.upperBound...]))
            }
            if kind == "h", let link = rest.range(of: " link to ") {
                return Entry(
                    path: unescape(rest[..<link.lowerBound]), kind: "h",
                    linkTarget: unescape(rest[link.upperBound...]))
            }
            return Entry(path: unescape(rest[...]), kind: kind == "-" ? "-" : kind)
        }
    }

    /// The entries of a `zipinfo` listing (link targets filled in by the caller, from the entries' contents).
    public static func zipEntries(_ listing: String) -> [Entry] {
        listing.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 8, omittingEmptySubsequences: true)
            // An entry line starts with a permission string (`-rw-r--r--`, `lrwxrwxrwx`); headers and totals do not.
            let mode = fields.first ?? ""
            guard fields.count == 9, mode.count == 10, let kind = mode.first,
                mode.dropFirst().allSatisfy({ "rwxsStT-".contains($0) })
            else { return nil }
            return Entry(path: String(fields[8]), kind: kind)
        }
    }

    /// What is wrong with the entries (empty: they all stay inside the destination).
    public static func problems(_ entries: [Entry]) -> [String] {
        var problems: [String] = []
        for entry in entries {
            if entry.path.hasPrefix("/") {
                problems.append("entry '\(entry.path)' is an absolute path")
            } else if escapes(entry.path) {
                problems.append("entry '\(entry.path)' climbs out of the destination with '..'")
            }
            switch entry.kind {
            case "-", "d": break
            case "l", "h":
                let target = entry.linkTarget ?? ""
                let base = entry.kind == "l" ? directory(of: entry.path) : ""
                if target.hasPrefix("/") {
                    problems.append("link '\(entry.path)' points to the absolute path '\(target)'")
                } else if escapes(base.isEmpty ? target : base + "/" + target) {
                    problems.append("link '\(entry.path)' points out of the destination ('\(target)')")
                }
            default:
                problems.append("entry '\(entry.path)' is a device or special file")
            }
        }
        return problems
    }

    /// Whether a relative path, resolved component by component, leaves its starting directory.
    static func escapes(_ path: String) -> Bool {
        var depth = 0
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..":
                depth -= 1
                if depth < 0 { return true }
            default: depth += 1
            }
        }
        return false
    }

    private static func directory(of path: String) -> String {
        let parts = path.split(separator: "/")
        return parts.dropLast().joined(separator: "/")
    }

    /// Undoes tar's escape quoting (`\\`, `\n`, octal `\ooo`).
    private static func unescape(_ text: Substring) -> String {
        guard text.contains("\\") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            guard byte == UInt8(ascii: "\\"), let next = iterator.first else {
                bytes.append(byte)
                continue
            }
            if (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(next), iterator.count >= 3,
                let value = UInt8(String(decoding: iterator.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(3)
            } else {
                iterator = iterator.dropFirst()
                switch next {
                case UInt8(ascii: "n"): bytes.append(10)
                case UInt8(ascii: "t"): bytes.append(9)
                default: bytes.append(next)
                }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
