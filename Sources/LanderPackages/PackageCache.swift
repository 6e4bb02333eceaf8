import Crypto
import Foundation
public import LanderModel

/// The orchestrator's content-addressed cache (`.lander/cache/sha256/<hash>`): each package file is fetched
/// from its feed once, its hash checked, and kept under its hash, whatever the number of targets.
public struct PackageCache: Sendable {
    /// The cache's directory (`.lander/cache`).
    public let directory: String

    /// A cache in a directory (created when first used).
    public init(directory: String) { self.directory = directory }

    /// Where a file with this hash is kept.
    public func path(of sha256: String) -> String { directory + "/sha256/" + sha256 }

    /// The cached file of a package: fetched from its feed unless already there; `fetched` says which.
    public func acquire(_ package: ResolvedPackage) async throws(PackageError) -> (path: String, fetched: Bool) {
        let final = path(of: package.sha256)
        if FileManager.default.fileExists(atPath: final) { return (final, false) }
        let temporary = directory + "/tmp/" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(
                atPath: directory + "/tmp", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                atPath: directory + "/sha256", withIntermediateDirectories: true)
        } catch {
            throw PackageError("cannot create the package cache \(directory): \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        try await Feed(package.feed, projectDirectory: "/").fetch(package, to: temporary)
        let actual = try Self.sha256(of: temporary)
        guard actual == package.sha256 else {
            throw PackageError(
                "package \(package.id) \(package.version) (\(package.file)): hash mismatch: expected sha256 "
                    + "\(package.sha256), got \(actual)",
                hint: "the feed's file changed or the download was damaged; nothing was distributed")
        }
        do {
            try? FileManager.default.removeItem(atPath: final)
            try FileManager.default.moveItem(atPath: temporary, toPath: final)
        } catch {
            throw PackageError("cannot keep \(package.id) in the cache: \(error.localizedDescription)")
        }
        return (final, true)
    }

    /// The SHA-256 of a text, lowercase hex.
    public static func sha256(text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The SHA-256 of a file, lowercase hex, read in 1 MiB pieces.
    public static func sha256(of path: String) throws(PackageError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw PackageError("cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                throw PackageError("cannot read \(path): \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
