import Foundation
import LanderTesting
import Testing

/// The dashboard over plain HTTP (no browser): who gets in, what a cookie may do, pages for bad ids, the
/// scope of a token, escaping.
@Suite struct DashboardTests {
    @Test func aBrowserSignsInWithATokenAndItsCookieOnlyReads() async throws {
        let server = try await ServerProcess.start(try ServerTests.workspace())
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let deployer = try await server.token("deployer")
        let unsigned = try await server.page("GET", "/", cookie: nil)
        #expect(unsigned.status == 303 && unsigned.headers["location"] == "/login")
        let forged = try await server.page("GET", "/", cookie: "lat_" + String(repeating: "0", count: 64))
        #expect(forged.status == 303 && forged.headers["location"] == "/login")
        let wrong = try await server.page("POST", "/login", cookie: nil, form: "token=lat_nope")
        #expect(wrong.status == 401 && wrong.headers["set-cookie"] == nil && wrong.body.contains("unknown token"))
        let signed = try await server.page("POST", "/login", cookie: nil, form: "token=\(deployer)")
        let cookie = try #require(signed.headers["set-cookie"])
        #expect(signed.status == 303 && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        let grid = try await server.page("GET", "/", cookie: deployer)
        #expect(grid.status == 200 && grid.body.contains(#"id="cell-web--test""#))
        #expect(grid.body.contains("never deployed"), "nothing deployed yet")
        #expect(try await server.page("GET", "/api/v1/status", cookie: deployer).status == 200, "reads may use it")
        let change = try await server.page(
            "POST", "/api/v1/deployments", cookie: deployer,
            form: #"{"project":"web","environment":"test","version":"1.0"}"#)
        #expect(change.status == 401, "a change needs the Authorization header, whatever the cookie: \(change)")
        let out = try await server.page("POST", "/logout", cookie: deployer)
        #expect(out.headers["set-cookie"]?.contains("Max-Age=0") == true)
    }

    @Test func pagesForBadIdsAndOutOfScopeDeploymentsAreClearAndEscaped() async throws {
        let server = try await ServerProcess.start(try ServerTests.workspace())
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let deployer = try await server.token("deployer")
        let webViewer = try await server.token("viewer", project: "web")
        let started = try await server.request(
            "POST", "/api/v1/deployments", token: deployer,
            body: #"{"project":"web","environment":"test","version":"<script>alert(1)</script>"}"#)
        let id = try #require(ServerProcess.object(started.body)["id"] as? String)
        _ = try await server.wait(for: id, state: "succeeded", token: deployer)
        let page = try await server.page("GET", "/deployments/\(id)", cookie: deployer)
        #expect(page.status == 200 && page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!page.body.contains("<script>alert(1)"), "what a deployment carries is escaped")
        #expect(page.body.contains(#"data-target="w-1""#), "the log's lines by target")
        let missing = try await server.page("GET", "/deployments/20260101-000000-dead", cookie: deployer)
        #expect(missing.status == 404 && missing.body.contains("no deployment 20260101-000000-dead"))
        let climbing = try await server.page("GET", "/deployments/..%2F..%2Fetc%2Fpasswd", cookie: deployer)
        #expect(climbing.status == 400 && climbing.body.contains("is no deployment id"), "\(climbing)")
        let scoped = try await server.page("GET", "/", cookie: webViewer)
        #expect(scoped.body.contains(#"href="/deployments/\#(id)""#), "its own project's cell links the deployment")
        let slowCell = scoped.body.range(of: #"id="cell-slow--test" class="cell absent">"#)
        #expect(slowCell != nil, "another project's cell shows nothing to a web-only token")
        let history = try await server.page("GET", "/history?project=slow", cookie: webViewer)
        #expect(history.status == 403 && history.body.contains("is for project web, not slow"))
        let own = try await server.page("GET", "/history?project=web", cookie: webViewer)
        #expect(own.status == 200 && own.body.contains(id))
    }

    @Test func theGridStreamSendsEveryCellThenOnlyThoseThatChange() async throws {
        let server = try await ServerProcess.start(try ServerTests.workspace())
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let deployer = try await server.token("deployer")
        let scratch = try Scratch()
        let config = scratch.url.appendingPathComponent("curl.conf")
        try "cookie = \"lander_token=\(deployer)\"\n".write(to: config, atomically: true, encoding: .utf8)
        let stream = Process()
        stream.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        stream.arguments = ["-s", "-N", "-K", config.path, "http://127.0.0.1:\(server.port)/ui/grid/events"]
        let output = Pipe()
        stream.standardOutput = output
        try stream.run()
        defer { kill(stream.processIdentifier, SIGKILL) }
        try await Task.sleep(for: .seconds(1))
        let started = try await server.request(
            "POST", "/api/v1/deployments", token: deployer, body: ServerTests.webTest)
        let id = try #require(ServerProcess.object(started.body)["id"] as? String)
        _ = try await server.wait(for: id, state: "succeeded", token: deployer)
        try await Task.sleep(for: .seconds(1.5))
        // SIGKILL: the test process ignores SIGTERM, and what it starts inherits that.
        kill(stream.processIdentifier, SIGKILL)
        let text = String(decoding: await readToEnd(output.fileHandleForReading), as: UTF8.self)
        let cells = ServerProcess.frames(text).filter { $0.event == "cell" }.map(\.data)
        let first = cells.prefix(6).compactMap { $0["id"] as? String }
        #expect(
            Set(first) == [
                "cell-web--test", "cell-web--production", "cell-slow--test", "cell-slow--production",
                "cell-many--test", "cell-many--production",
            ], "every cell first: \(first)")
        let later = cells.dropFirst(6)
        #expect(!later.isEmpty && later.allSatisfy { $0["id"] as? String == "cell-web--test" }, "\(later)")
        #expect(later.last?["state"] as? String == "succeeded")
        #expect((later.last?["html"] as? String)?.contains(#"href="/deployments/\#(id)""#) == true)
    }
}
