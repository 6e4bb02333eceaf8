import Foundation
import LanderEngine
import LanderHTTP
import LanderStore
import LanderTesting
import Testing

@testable import LanderService

/// Phone home through one deployer (as a server runs it): the endpoint outlives a deployment, so an ended
/// deployment's token meets a 403; a caller outside the targets waits on a job while the deployment is
/// cancelled and gets the error.
@Suite struct PhoneHomeServiceTests {
    /// The phone-home fixture whose caller leaves its token and URL in its root, then runs `then`.
    static func project(then: String = "true") throws -> URL {
        let directory = try Fixture("phone-home").copy(to: Scratch().url.appendingPathComponent("phone"))
        try """
        cd "$LANDER_ROOT"
        printenv LANDER_CALLBACK_TOKEN > token.txt
        printenv LANDER_CALLBACK_URL > url.txt
        \(then)

        """.write(to: directory.appendingPathComponent("caller.sh"), atomically: true, encoding: .utf8)
        return directory
    }

    static func deploy(_ deployer: Deployer, _ directory: URL) async throws -> DeploymentHandle {
        try await deployer.deploy(
            DeploymentRequest(
                project: .file(directory.appendingPathComponent("lander.yml").path), environment: "dev",
                version: .version("1.0")))
    }

    static func read(_ directory: URL, _ path: String) -> String? {
        (try? String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `curl` asking for a job with a token (in a config file, off the command line), headers and body on
    /// its stdout.
    static func call(_ url: String, token: String, job: String) async throws -> ProgramRun {
        let config = try Scratch().url.appendingPathComponent("curl.conf")
        try "header = \"Authorization: Bearer \(token)\"\n".write(to: config, atomically: true, encoding: .utf8)
        return try await Program.run(
            "/usr/bin/curl", ["-sS", "-i", "-K", config.path, "-d", "{\"job\":\"\(job)\"}", "\(url)/v1/calls"],
            timeout: .seconds(30))
    }

    @Test func anEndedDeploymentsTokenIsRefusedWith403AndAudited() async throws {
        let directory = try Self.project()
        let deployer = Deployer(
            store: .path(directory.appendingPathComponent("state.db").path), listener: CallbackServer())
        let first = try await Self.deploy(deployer, directory)
        #expect(try await first.report().outcome == .succeeded)
        let token = try #require(Self.read(directory, ".lander/targets/dev/a-1/token.txt"))
        let url = try #require(Self.read(directory, ".lander/targets/dev/a-1/url.txt"))
        let answer = try await Self.call(url, token: token, job: "count")
        #expect(answer.stdout.hasPrefix("HTTP/1.1 403"), "\(answer.stdout)")
        #expect(answer.stdout.contains("deployment \(first.id) has ended"), "\(answer.stdout)")
        #expect(Self.read(directory, ".lander/targets/dev/b-1/calls.txt") == nil, "no job ran")
        let store = try deployer.openStore(atPath: directory.appendingPathComponent("state.db").path)
        let audit = try store.audits(of: first.id)
        #expect(audit.map(\.status) == [403] && audit.first?.target == "a-1", "\(audit)")
        #expect(try store.children(of: first.id).isEmpty)
    }

    @Test func aCallerWaitingOnAJobGetsAnErrorWhenTheDeploymentIsCancelled() async throws {
        let directory = try Self.project(then: "touch waiting; sleep 30")
        let deployer = Deployer(
            store: .path(directory.appendingPathComponent("state.db").path), listener: CallbackServer())
        let handle = try await Self.deploy(deployer, directory)
        let waiting = directory.appendingPathComponent(".lander/targets/dev/a-1/waiting").path
        for _ in 0..<3000 where !FileManager.default.fileExists(atPath: waiting) {
            try await Task.sleep(for: .milliseconds(10))
        }
        let token = try #require(Self.read(directory, ".lander/targets/dev/a-1/token.txt"))
        let url = try #require(Self.read(directory, ".lander/targets/dev/a-1/url.txt"))
        async let answer = Self.call(url, token: token, job: "hang")
        let pidFile = directory.appendingPathComponent("hang.pid").path
        for _ in 0..<3000 where !FileManager.default.fileExists(atPath: pidFile) {
            try await Task.sleep(for: .milliseconds(10))
        }
        handle.cancel()
        let reply = try await answer
        #expect(reply.stdout.contains("Lander-Outcome: cancelled"), "\(reply.stdout)\(reply.stderr)")
        #expect(try await handle.report().outcome == .cancelled)
        let pid = try #require(Self.read(directory, "hang.pid").flatMap { Int32($0) })
        #expect(await isGone(pid))
        let store = try deployer.openStore(atPath: directory.appendingPathComponent("state.db").path)
        #expect(try store.children(of: handle.id).map(\.status) == ["cancelled"])
    }
}
