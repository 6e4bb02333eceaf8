import Foundation
import LanderEngine
import LanderModel
import LanderPackages
import LanderTesting
import Testing

/// Packages from a directory feed to local targets: acquired once, distributed before any step, skipped
/// when present, refused when damaged or escaping, substituted per target.
@Suite struct PackageTests {
    /// A project with `targets` web targets receiving package `app` from `feed/`, and a step reading it.
    static func project(targets: Int = 3, package: String = "{ id: app, feed: feed }", extra: String = "") throws
        -> TestProject
    {
        try TestProject(
            fixture: "shop-packages", ["TARGETS": "\(targets)", "PACKAGE": package, "EXTRA": extra])
    }

    @Test func aPackageIsAcquiredOnceAndOnEveryTargetBeforeAnyStep() async throws {
        let project = try Self.project(targets: 5)
        let package = try PackageFeed(project).archive("app", "1.0.0", files: ["README": "hello 1.0.0\n"])
        let run = try await project.deploy(version: "1.0.0", packages: [package])
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        #expect(run.logs.filter { $0.contains("acquired from") }.count == 1, "one fetch from the feed: \(run.logs)")
        #expect(run.logs.filter { $0.hasSuffix("pushed (\(package.size))") }.count == 5)
        // Nothing of the steps started before the last target had its package.
        let lastDelivery = try #require(
            run.events.lastIndex { event in
                if case .log(_, let message, _, _, _) = event { message.contains("pushed") } else { false }
            })
        let firstStep = try #require(run.events.firstIndex { if case .stepStarted = $0 { true } else { false } })
        #expect(lastDelivery < firstStep)
        for index in 1...5 {
            #expect(project.read(".lander/targets/test/web-\(index)/packages/app/README") == "hello 1.0.0\n")
        }
        let cached = try FileManager.default.contentsOfDirectory(atPath: project.path(".lander/cache/sha256"))
        #expect(cached == [package.sha256])

        let again = try await project.deploy(version: "1.0.0", packages: [package])
        #expect(again.report.outcome == .succeeded)
        #expect(again.logs.filter { $0.hasSuffix("already here, nothing sent") }.count == 5, "\(again.logs)")
        #expect(!again.logs.contains { $0.contains("acquired from") }, "the cache served it")
    }

    @Test func aNewVersionReplacesTheOldOneWhole() async throws {
        let project = try Self.project(targets: 1)
        let feed = PackageFeed(project)
        let first = try feed.archive("app", "1.0.0", files: ["README": "one\n", "old-only.txt": "x\n"])
        let second = try feed.archive("app", "2.0.0", files: ["README": "two\n"])
        #expect(try await project.deploy(version: "1.0.0", packages: [first]).report.outcome == .succeeded)
        #expect(try await project.deploy(version: "2.0.0", packages: [second]).report.outcome == .succeeded)
        #expect(project.read(".lander/targets/test/web-1/packages/app/README") == "two\n")
        #expect(project.read(".lander/targets/test/web-1/packages/app/old-only.txt") == nil, "no leftovers of 1.0.0")
    }

    @Test func aHashMismatchNamesThePackageAndBothHashesAndNothingRuns() async throws {
        let project = try Self.project()
        var package = try PackageFeed(project).archive("app", "1.0.0", files: ["README": "hello\n"])
        let claimed = String(repeating: "ab", count: 32)
        let actual = package.sha256
        package.sha256 = claimed
        let run = try await project.deploy(version: "1.0.0", packages: [package])
        #expect(run.report.outcome == .failed)
        let error = run.report.error ?? ""
        #expect(
            error.contains(
                "package app 1.0.0 (app-1.0.0.tar.gz): hash mismatch: expected sha256 \(claimed), got \(actual)"),
            "\(error)")
        #expect(run.report.records.isEmpty, "no step ran")
        #expect(project.read(".lander/targets/test/web-1/packages/app/README") == nil)
        #expect(
            (try? FileManager.default.contentsOfDirectory(atPath: project.path(".lander/cache/sha256"))) ?? [] == [])
    }

    @Test(arguments: [
        ("tar.gz", "../escaped.txt", "climbs out of the destination"),
        ("tar.gz", "/tmp/lander-absolute-\(UUID().uuidString)", "is an absolute path"),
        ("tar.gz", "link -> /etc", "points to the absolute path '/etc'"),
        ("tar.gz", "sub/link -> ../../..", "points out of the destination"),
        ("zip", "../escaped.txt", "climbs out of the destination"),
        ("zip", "link -> ../../outside", "points out of the destination"),
    ])
    func archivesThatEscapeTheDestinationAreRefused(kind: String, entry: String, problem: String) async throws {
        let project = try Self.project(targets: 2)
        let package = try PackageFeed(project).hostile("app", "1.0.0", kind: kind, entry: entry)
        let run = try await project.deploy(version: "1.0.0", packages: [package])
        #expect(run.report.outcome == .failed)
        let error = run.report.error ?? ""
        #expect(error.contains("package app 1.0.0 (app-1.0.0.\(kind)) refused:") && error.contains(problem), "\(error)")
        #expect(error.contains("so no step ran"))
        #expect(run.report.records.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: project.path(".lander/targets/test/escaped.txt")))
        #expect(!FileManager.default.fileExists(atPath: project.path(".lander/targets/test/web-1/packages/app")))
    }

    @Test func zipAndPlainFilesUnpackToo() async throws {
        let project = try Self.project(
            targets: 1, package: "{ id: app, feed: feed }\n  - { id: tool, feed: feed, destination: bin }")
        let feed = PackageFeed(project)
        let app = try feed.archive("app", "1.0.0", files: ["README": "zipped\n"], kind: "zip")
        let tool = try feed.plain("tool", "3.1", name: "tool.sh", contents: "#!/bin/sh\necho tool\n")
        let run = try await project.deploy(version: "1.0.0", packages: [app, tool])
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        #expect(project.read(".lander/targets/test/web-1/packages/app/README") == "zipped\n")
        #expect(project.read(".lander/targets/test/web-1/bin/tool.sh") == "#!/bin/sh\necho tool\n")
    }

    @Test func listedFilesAreSubstitutedPerTargetAndSecretsStayOutOfTheOutput() async throws {
        let project = try Self.project(
            targets: 2, package: "{ id: app, feed: feed, substitute: [config/app.json] }",
            extra: """
                    roles:
                      web: { variables: { token: { secret: SHOP_TOKEN } } }
                """)
        let package = try PackageFeed(project).archive(
            "app", "1.0.0",
            files: [
                "README": "hello\n",
                "config/app.json": #"{"name": "{{target.name}}", "port": {{port}}, "token": "{{token}}"}"#,
            ])
        let secret = "s3cr3t-\(UUID().uuidString)"
        let run = try await project.deploy(version: "1.0.0", env: ["SHOP_TOKEN": secret], packages: [package])
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        #expect(
            project.read(".lander/targets/test/web-2/packages/app/config/app.json")
                == #"{"name": "web-2", "port": 8080, "token": "\#(secret)"}"#)
        #expect(!run.events.map { "\($0)" }.joined().contains(secret), "the secret appeared in an event")
    }

    @Test func aTargetThatCannotReceiveFailsBeforeAnyStepRunsAnywhere() async throws {
        let project = try Self.project(targets: 3)
        let package = try PackageFeed(project).archive("app", "1.0.0", files: ["README": "hello\n"])
        // web-2's root is a file: nothing can be put there.
        try project.write(".lander/targets/test/web-2", "not a directory")
        let run = try await project.deploy(version: "1.0.0", packages: [package])
        #expect(run.report.outcome == .failed)
        let error = run.report.error ?? ""
        #expect(error.contains("packages were not distributed to 1 target(s), so no step ran: web-2:"), "\(error)")
        #expect(run.report.records.isEmpty, "no step ran on web-1 or web-3 either")
    }

    @Test func pullNeedsAnHTTPFeedOrAMirror() async throws {
        let project = try Self.project(targets: 1, extra: "    acquisition: pull")
        let package = try PackageFeed(project).archive("app", "1.0.0", files: ["README": "hello\n"])
        let run = try await project.deploy(version: "1.0.0", packages: [package])
        #expect(run.report.outcome == .failed)
        #expect(
            run.report.error?.contains("web-1 pulls, but the feed") == true
                && run.report.error?.contains("give the environment or target a mirror: URL") == true,
            "\(run.report.error ?? "")")
    }
}

/// Builds a directory feed (`feed/<id>/<version>/<file>` + SHA256SUMS) inside a test project.
struct PackageFeed {
    let project: TestProject

    init(_ project: TestProject) { self.project = project }

    /// An archive (`tar.gz` or `zip`) of the given files.
    func archive(_ id: String, _ version: String, files: [String: String], kind: String = "tar.gz") throws
        -> ResolvedPackage
    {
        let source = project.path("src-\(id)-\(version)")
        for (path, contents) in files { try project.write("src-\(id)-\(version)/\(path)", contents) }
        let file = "\(id)-\(version).\(kind)"
        let directory = try versionDirectory(id, version)
        let argv =
            kind == "zip"
            ? ["/bin/sh", "-c", "cd \"$0\" && zip -qr \"$1\" .", source, directory + "/" + file]
            : ["/usr/bin/tar", "-czf", directory + "/" + file, "-C", source, "."]
        try run(argv)
        return try finish(id, version, file: file)
    }

    /// A plain file.
    func plain(_ id: String, _ version: String, name: String, contents: String) throws -> ResolvedPackage {
        let directory = try versionDirectory(id, version)
        try contents.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        return try finish(id, version, file: name)
    }

    /// An archive with one hostile entry: a path (`../x`, `/abs`) or a link (`name -> target`).
    func hostile(_ id: String, _ version: String, kind: String, entry: String) throws -> ResolvedPackage {
        let file = "\(id)-\(version).\(kind)"
        let path = try versionDirectory(id, version) + "/" + file
        let script = """
            import io, sys, tarfile, zipfile
            path, kind, entry = sys.argv[1], sys.argv[2], sys.argv[3]
            name, _, link = entry.partition(" -> ")
            if kind == "zip":
                with zipfile.ZipFile(path, "w") as z:
                    z.writestr("README", "ok\\n")
                    info = zipfile.ZipInfo(name)
                    if link:
                        info.external_attr = (0o120777 << 16)
                        z.writestr(info, link)
                    else:
                        z.writestr(info, "escaped\\n")
            else:
                with tarfile.open(path, "w:gz") as t:
                    data = b"ok\\n"
                    info = tarfile.TarInfo("README"); info.size = len(data); t.addfile(info, io.BytesIO(data))
                    info = tarfile.TarInfo(name)
                    if link:
                        info.type = tarfile.SYMTYPE; info.linkname = link; t.addfile(info)
                    else:
                        data = b"escaped\\n"; info.size = len(data); t.addfile(info, io.BytesIO(data))
            """
        try run(["/usr/bin/env", "python3", "-c", script, path, kind, entry])
        return try finish(id, version, file: file)
    }

    private func versionDirectory(_ id: String, _ version: String) throws -> String {
        let directory = project.path("feed/\(id)/\(version)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    private func finish(_ id: String, _ version: String, file: String) throws -> ResolvedPackage {
        let directory = project.path("feed/\(id)/\(version)")
        let hash = try PackageCache.sha256(of: directory + "/" + file)
        try "\(hash)  \(file)\n".write(toFile: directory + "/SHA256SUMS", atomically: true, encoding: .utf8)
        return ResolvedPackage(id: id, version: version, file: file, sha256: hash, feed: project.path("feed"))
    }

    /// Runs a short program to its end (posix_spawn and waitpid: no Foundation process machinery).
    private func run(_ argv: [String]) throws {
        guard runToEnd(argv) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}

extension ResolvedPackage {
    /// The file's size as progress output writes it (`244 B`).
    var size: String {
        let path = feed + "/\(id)/\(version)/\(file)"
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return Deployment.bytes(bytes)
    }
}
