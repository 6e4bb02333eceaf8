import Foundation
import LanderEngine
import LanderModel
import Synchronization
import Testing

/// Packages pushed over SSH: through each target's one connection, before any step, and not again.
@Suite struct SSHPackageTests {
    /// A project with one package on every target and one step (a shell line) after it.
    static func yaml(_ targets: SSHTargets, package: String, step: String) -> String {
        """
        project: shop
        packages:
          - \(package)
        environments:
          test:
            ssh: { config: CONFIG }
            targets:
        \(SSHDeploymentTests.targetsYAML(targets, roles: [:]))
        steps:
          - { name: step, on: a, run: [sh, -c, "\(step)"] }
        """
    }

    /// `feed/app/1.0.0/app-1.0.0.tar.gz` (a README saying `readme`) with its SHA256SUMS under `directory`, resolved.
    static func feed(in directory: URL, readme: String) async throws -> ResolvedPackage {
        let version = directory.appendingPathComponent("feed/app/1.0.0")
        try FileManager.default.createDirectory(at: version, withIntermediateDirectories: true)
        let source = directory.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try readme.write(to: source.appendingPathComponent("README"), atomically: true, encoding: .utf8)
        let archive = version.appendingPathComponent("app-1.0.0.tar.gz").path
        guard await SSHTargets.run(["/usr/bin/tar", "-czf", archive, "-C", source.path, "."]) == 0 else {
            throw CocoaError(.fileWriteUnknown)
        }
        let hash = try PackageCacheHash.of(archive)
        try "\(hash)  app-1.0.0.tar.gz\n".write(
            to: version.appendingPathComponent("SHA256SUMS"), atomically: true, encoding: .utf8)
        return ResolvedPackage(
            id: "app", version: "1.0.0", file: "app-1.0.0.tar.gz", sha256: hash,
            feed: directory.appendingPathComponent("feed").path)
    }

    @Test func aPackageIsPushedOverSSHOnceAndNotAgain() async throws {
        let targets = try await SSHTargets.start(3)
        let directory = targets.directory.appendingPathComponent("project")
        let package = try await Self.feed(in: directory, readme: "over ssh\n")
        let hash = package.sha256
        let yaml = Self.yaml(targets, package: "{ id: app, feed: feed }", step: "cat packages/app/README > seen")
        let (report, _) = try await SSHDeploymentTests.deploy(
            yaml, targets: targets, packages: [package], directory: directory)
        #expect(report.outcome == .succeeded, "\(report.error ?? "")")
        for target in targets.targets {
            #expect(
                (try? String(contentsOfFile: target.root + "/seen", encoding: .utf8)) == "over ssh\n", "\(target.name)")
            #expect(
                (try? String(contentsOfFile: target.root + "/.lander/packages/app.sha256", encoding: .utf8))
                    == hash + "\n")
        }
        // The second time the targets already hold it: nothing is sent or unpacked again (unpacking replaces
        // the directory whole, which would drop this file).
        for target in targets.targets {
            try "mine\n".write(toFile: target.root + "/packages/app/sentinel", atomically: true, encoding: .utf8)
        }
        let (again, _) = try await SSHDeploymentTests.deploy(
            yaml, targets: targets, packages: [package], directory: directory)
        #expect(again.outcome == .succeeded)
        for target in targets.targets {
            #expect(FileManager.default.fileExists(atPath: target.root + "/packages/app/sentinel"), "\(target.name)")
        }
    }

    @Test func aNewVersionTravelsAsItsDifferenceFromTheOneTheTargetKeeps() async throws {
        let targets = try await SSHTargets.start(2)
        let directory = targets.directory.appendingPathComponent("project")
        var bytes = [UInt8](repeating: 0, count: 4_000_000)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        func publish(_ version: String) throws -> ResolvedPackage {
            let folder = directory.appendingPathComponent("feed/blob/\(version)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let path = folder.appendingPathComponent("blob.bin").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let hash = try PackageCacheHash.of(path)
            try "\(hash)  blob.bin\n".write(
                to: folder.appendingPathComponent("SHA256SUMS"), atomically: true, encoding: .utf8)
            return ResolvedPackage(
                id: "blob", version: version, file: "blob.bin", sha256: hash,
                feed: directory.appendingPathComponent("feed").path)
        }
        let first = try publish("1")
        for index in 2_000_000..<2_040_000 { bytes[index] ^= 0xff }  // 1% of the file changes
        let second = try publish("2")
        let yaml = Self.yaml(
            targets, package: "{ id: blob, feed: feed, unpack: file }", step: "sha256sum packages/blob/blob.bin > seen")
        let (one, _) = try await SSHDeploymentTests.deploy(
            yaml, targets: targets, packages: [first], directory: directory)
        #expect(one.outcome == .succeeded, "\(one.error ?? "")")
        let logs = Mutex<[String]>([])
        let (two, _) = try await SSHDeploymentTests.deploy(
            yaml, targets: targets, packages: [second], directory: directory,
            onEvent: { event in
                if case .log(_, let message, _, _, _) = event { logs.withLock { $0.append(message) } }
            })
        #expect(two.outcome == .succeeded, "\(two.error ?? "")")
        let summary = logs.withLock { $0 }.first { $0.hasPrefix("packages:") } ?? ""
        // 2 targets × 40 kB changed: well under a tenth of the 2 × 4 MB a full push sends.
        let sent = summary.split(separator: "(").dropFirst().first?.split(separator: " ").first.flatMap { Double($0) }
        #expect(
            summary.contains("2 pushed") && (summary.contains(" kB sent") || summary.contains(" B sent")), "\(summary)")
        #expect((sent ?? .infinity) < 800, "\(summary)")
        for target in targets.targets.prefix(2) {
            let seen = try String(contentsOfFile: target.root + "/seen", encoding: .utf8)
            #expect(seen.hasPrefix(second.sha256), "\(target.name) holds exactly version 2")
        }
    }
}

/// The SHA-256 of a file, through `sha256sum` (as a user would check it).
enum PackageCacheHash {
    static func of(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        // Into a file, not a pipe: a read blocking a thread of the cooperative pool until a pipe's end
        // starves the tests that need it.
        let output = URL(fileURLWithPath: NSTemporaryDirectory() + "sha256-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        process.standardOutput = try FileHandle(forWritingTo: output)
        try process.run()
        process.waitUntilExit()
        let data = try Data(contentsOf: output)
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}
