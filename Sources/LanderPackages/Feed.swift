import Foundation
public import LanderModel
import LanderTransport

/// A package feed: a directory or an HTTP(S) server laying packages out as `<id>/<version>/<file>` with a
/// `SHA256SUMS` file beside each (`<hex>  <file>`, as `sha256sum` writes it), and for `latest` over HTTP a
/// `<id>/versions` file listing versions one per line.
public struct Feed: Sendable {
    /// The feed as written: a directory (absolute here) or a URL.
    public let base: String

    /// A feed; a relative directory is taken from `projectDirectory`.
    public init(_ feed: String, projectDirectory: String) {
        if feed.hasPrefix("http://") || feed.hasPrefix("https://") || feed.hasPrefix("/") {
            base = feed
        } else {
            base = URL(fileURLWithPath: projectDirectory).appendingPathComponent(feed).standardizedFileURL.path
        }
    }

    /// Whether the feed is served over HTTP(S).
    public var isRemote: Bool { base.hasPrefix("http://") || base.hasPrefix("https://") }

    /// The exact version, file and hash of a package (`latest` is the highest version the feed has).
    public func resolve(_ id: String, version: String) async throws(PackageError) -> ResolvedPackage {
        let exact = version == "latest" ? try await latest(id) : version
        let sums = try await text("\(id)/\(exact)/SHA256SUMS", what: "package '\(id)' \(exact)")
        guard let line = sums.split(separator: "\n").first(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
        else {
            throw PackageError("\(id) \(exact): \(base)/\(id)/\(exact)/SHA256SUMS is empty")
        }
        let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        let file = parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces).trimmingPrefix("*") : ""
        guard parts.count == 2, parts[0].count == 64, parts[0].allSatisfy(\.isHexDigit), !file.isEmpty,
            !file.contains("/")
        else {
            throw PackageError(
                "\(id) \(exact): \(base)/\(id)/\(exact)/SHA256SUMS should read '<sha256>  <file>', found '\(line)'")
        }
        return ResolvedPackage(
            id: id, version: exact, file: String(file), sha256: parts[0].lowercased(), feed: base)
    }

    /// The highest version of a package the feed has.
    func latest(_ id: String) async throws(PackageError) -> String {
        var versions: [String]
        if isRemote {
            versions = try await text("\(id)/versions", what: "the versions of package '\(id)'")
                .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        } else {
            versions = (try? FileManager.default.contentsOfDirectory(atPath: base + "/" + id)) ?? []
            versions = versions.filter { !$0.hasPrefix(".") && $0 != "versions" }
        }
        guard let highest = versions.max(by: { Self.isLower($0, $1) }) else {
            throw PackageError("package '\(id)' has no versions in the feed \(base)")
        }
        return highest
    }

    /// Version order: numeric parts compared as numbers (`1.10.0` after `1.9.2`), others as text.
    static func isLower(_ left: String, _ right: String) -> Bool {
        let a = left.split(whereSeparator: { $0 == "." || $0 == "-" })
        let b = right.split(whereSeparator: { $0 == "." || $0 == "-" })
        for (x, y) in zip(a, b) where x != y {
            if let i = Int(x), let j = Int(y) { return i < j }
            return x < y
        }
        return a.count < b.count
    }

    /// Copies the package's file from the feed to `path`.
    func fetch(_ package: ResolvedPackage, to path: String) async throws(PackageError) {
        let source = package.location(in: base)
        if isRemote {
            let result = try await Self.curl(["-fsSL", "--retry", "2", "-o", path, source])
            guard result.succeeded else {
                throw PackageError("\(package.id) \(package.version): downloading \(source) failed: \(result.reason)")
            }
        } else {
            do {
                try? FileManager.default.removeItem(atPath: path)
                try FileManager.default.copyItem(atPath: source, toPath: path)
            } catch {
                throw PackageError(
                    "\(package.id) \(package.version): cannot read \(source): \(error.localizedDescription)")
            }
        }
    }

    /// A small text file of the feed.
    private func text(_ path: String, what: String) async throws(PackageError) -> String {
        let location = base + "/" + path
        if isRemote {
            let result = try await Self.curl(["-fsSL", "--retry", "2", location])
            guard result.succeeded else { throw PackageError("\(what): GET \(location) failed: \(result.reason)") }
            return result.stdout
        }
        guard let data = FileManager.default.contents(atPath: location) else {
            throw PackageError("\(what): \(location) does not exist", hint: "check the feed and the version")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func curl(_ arguments: [String]) async throws(PackageError) -> CommandResult {
        let local = LocalTransport(
            target: "feed", root: FileManager.default.currentDirectoryPath,
            environment: ProcessInfo.processInfo.environment)
        do {
            return try await local.run(Command(["curl"] + arguments), options: RunOptions(timeout: .seconds(3600)))
        } catch {
            throw PackageError("cannot run curl: \(error.message)", hint: "install curl")
        }
    }
}

extension CommandResult {
    /// Why a failed command failed, in a few words.
    var reason: String {
        let text = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "exit code \(exitCode)" : text
    }
}

/// A problem with a package: its feed, its hash, its contents, its transfer.
public struct PackageError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, naming the package.
    public var message: String
    /// What to do about it.
    public var hint: String?

    /// Creates an error.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { message + (hint.map { "; \($0)" } ?? "") }
}
