import Foundation
import LanderTesting
import Testing

/// Packages through the CLI, from a real HTTP feed on 127.0.0.1 that counts what it served.
@Suite struct PackageCommandsTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/packages")

    /// `feed/app/<version>/app-<version>.tar.gz` with a README saying the version, and SHA256SUMS.
    static func publish(_ scratch: Scratch, _ version: String, readme: String? = nil) async throws -> Int {
        let directory = scratch.url.appendingPathComponent("feed/app/\(version)")
        let source = scratch.url.appendingPathComponent("src-\(version)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try (readme ?? "app \(version)\n").write(
            to: source.appendingPathComponent("README"), atomically: true, encoding: .utf8)
        let status = try await RollingFleet.shell(
            [
                "/bin/sh", "-c",
                "tar -czf \"$1/app-$2.tar.gz\" -C \"$0\" . && cd \"$1\" && sha256sum \"app-$2.tar.gz\" > SHA256SUMS",
                source.path, directory.path, version,
            ], in: scratch.url)
        guard status == 0 else { throw FleetError("could not publish app \(version)") }
        let attributes = try FileManager.default.attributesOfItem(
            atPath: directory.appendingPathComponent("app-\(version).tar.gz").path)
        return attributes[.size] as? Int ?? 0
    }

    static func project(_ scratch: Scratch, feed: String, targets: Int, environment: String = "") throws -> String {
        try scratch.file(
            "shop/lander.yml",
            """
            project: shop
            packages:
              - { id: app, feed: "\(feed)" }
            environments:
              prod:
            \(environment)
                targets:
                  "web-[1:\(targets)]": { roles: [web] }
            steps:
              - { name: read, on: web, run: [cat, packages/app/README] }
            """)
    }

    @Test func tenTargetsCostTheFeedOneDownload() async throws {
        let scratch = try Scratch()
        let size = try await Self.publish(scratch, "1.0.0")
        let feed = try await FeedServer(scratch.url.appendingPathComponent("feed"))
        defer { feed.stop() }
        let file = try Self.project(scratch, feed: feed.url, targets: 10)
        let run = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--version", "1.0.0", "--plain"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let served = try await feed.stats()["/app/1.0.0/app-1.0.0.tar.gz"]
        #expect(served?.requests == 1, "the feed served the package \(served?.requests ?? 0) times for 10 targets")
        #expect(served?.bytes == size)
        for index in 1...10 {
            let readme = scratch.url.appendingPathComponent(
                "shop/.lander/targets/prod/web-\(index)/packages/app/README")
            #expect((try? String(contentsOf: readme, encoding: .utf8)) == "app 1.0.0\n", "web-\(index)")
        }
    }

    @Test func pullingTargetsDownloadFromTheMirrorAndTheOrchestratorSendsNothing() async throws {
        let scratch = try Scratch()
        let size = try await Self.publish(scratch, "1.0.0")
        let feed = try await FeedServer(scratch.url.appendingPathComponent("feed"))
        let mirror = try await FeedServer(scratch.url.appendingPathComponent("feed"))
        defer {
            feed.stop()
            mirror.stop()
        }
        let file = try Self.project(
            scratch, feed: feed.url, targets: 4, environment: "    acquisition: pull\n    mirror: \(mirror.url)")
        let run = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--version", "1.0.0", "--plain"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try await feed.stats()["/app/1.0.0/app-1.0.0.tar.gz"] == nil, "the feed itself sent no package")
        let fromMirror = try await mirror.stats()["/app/1.0.0/app-1.0.0.tar.gz"]
        #expect(fromMirror?.requests == 4 && fromMirror?.bytes == 4 * size, "\(String(describing: fromMirror))")
        #expect(run.stdout.components(separatedBy: "pulled from \(mirror.url)/app/1.0.0/app-1.0.0.tar.gz").count == 5)
        let cache = scratch.url.appendingPathComponent("shop/.lander/cache/sha256").path
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []).isEmpty, "nothing acquired")
    }

    @Test func aReleaseFixesLatestOnceAndACorruptedFileIsCaught() async throws {
        let scratch = try Scratch()
        _ = try await Self.publish(scratch, "1.9.0")
        _ = try await Self.publish(scratch, "1.10.0")
        try "1.9.0\n1.10.0\n".write(
            to: scratch.url.appendingPathComponent("feed/app/versions"), atomically: true, encoding: .utf8)
        let feed = try await FeedServer(scratch.url.appendingPathComponent("feed"))
        defer { feed.stop() }
        let file = try Self.project(scratch, feed: feed.url, targets: 2)
        let created = try await Lander.run(["release", "create", "7", "-f", file, "--package", "app=latest"])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("app 1.10.0  app-1.10.0.tar.gz  sha256 "), "1.10.0 is newer than 1.9.0")
        let again = try await Lander.run(["release", "create", "7", "-f", file, "--package", "app=latest"])
        #expect(again.status == 3 && again.stderr.contains("release 7 of shop already exists"), "\(again.stderr)")

        // A newer version appears: the release still deploys what it recorded.
        _ = try await Self.publish(scratch, "1.11.0")
        try "1.9.0\n1.10.0\n1.11.0\n".write(
            to: scratch.url.appendingPathComponent("feed/app/versions"), atomically: true, encoding: .utf8)
        let deployed = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--release", "7", "--plain"])
        #expect(deployed.status == 0, "\(deployed.stdout)\(deployed.stderr)")
        let readme = scratch.url.appendingPathComponent("shop/.lander/targets/prod/web-1/packages/app/README")
        #expect(try String(contentsOf: readme, encoding: .utf8) == "app 1.10.0\n")
        let history = try await Lander.run(["history", "-f", file, "--json"])
        let records = try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]]
        let shown = try await Lander.run(["show", try #require(records?.first?["id"] as? String), "-f", file])
        #expect(shown.stdout.contains("package  app 1.10.0 (app-1.10.0.tar.gz, sha256 "), "\(shown.stdout)")

        // The feed's file changes under the release: the download no longer matches its recorded hash.
        let created8 = try await Lander.run(["release", "create", "8", "-f", file, "--package", "app=1.11.0"])
        #expect(created8.status == 0)
        let listed = try await Lander.run(["release", "list", "-f", file])
        let lines = listed.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("8  ") && lines[0].hasSuffix("app 1.11.0"), "\(listed.stdout)")
        #expect(lines.count == 2 && lines[1].hasPrefix("7  ") && lines[1].hasSuffix("app 1.10.0"), "\(listed.stdout)")
        _ = try await Self.publish(scratch, "1.11.0", readme: "tampered\n")
        let corrupted = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--release", "8", "--plain"])
        #expect(corrupted.status == 1)
        #expect(
            corrupted.stderr.contains("package app 1.11.0 (app-1.11.0.tar.gz): hash mismatch: expected sha256 "),
            "\(corrupted.stderr)")
        #expect(try String(contentsOf: readme, encoding: .utf8) == "app 1.10.0\n", "the targets kept 1.10.0")

        let missing = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--release", "9", "--plain"])
        #expect(missing.status == 3 && missing.stderr.contains("no release 9 of shop is recorded"))
        let unknown = try await Lander.run(
            ["deploy", "-f", file, "-e", "prod", "--version", "1", "--package", "db=1", "--plain"])
        #expect(unknown.status == 2 && unknown.stderr.contains("lander.yml declares no package 'db'"))
        let absent = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--version", "4.0.0", "--plain"])
        #expect(absent.status == 2 && absent.stderr.contains("/app/4.0.0/SHA256SUMS"), "\(absent.stderr)")
    }
}

/// A package feed served over HTTP on 127.0.0.1 by `Tests/Fixtures/packages/feed_server.py`, counting what
/// it served; stopped by `stop()`.
final class FeedServer: Sendable {
    let port: UInt16
    private let pid: pid_t

    /// The feed's base URL.
    var url: String { "http://127.0.0.1:\(port)" }

    init(_ directory: URL) async throws {
        let portFile = directory.deletingLastPathComponent().appendingPathComponent("port-\(UUID().uuidString)").path
        pid = try RollingFleet.spawn([
            "/bin/sh", "-c", "exec python3 \"$0\" \"$1\" \"$2\" >/dev/null 2>&1",
            PackageCommandsTests.fixtures.appendingPathComponent("feed_server.py").path, directory.path, portFile,
        ])
        var found: UInt16?
        for _ in 0..<500 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let value = UInt16(text) {
                found = value
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard let found else {
            kill(pid, SIGKILL)
            throw FleetError("the feed server did not start")
        }
        port = found
    }

    /// Requests and bytes served, per path.
    func stats() async throws -> [String: (requests: Int, bytes: Int)] {
        let reply = try await RollingFleet.get(port: port, path: "/_stats")
        let object = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: [String: Int]] ?? [:]
        return object.mapValues { ($0["requests"] ?? 0, $0["bytes"] ?? 0) }
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
