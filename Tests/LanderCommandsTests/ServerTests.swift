import Foundation
import LanderTesting
import Testing

/// The real `lander server` on a run-time loopback port, talked to over HTTP (Tests/Fixtures/server-workspace).
@Suite struct ServerTests {
    static func workspace() throws -> URL {
        try Fixture("server-workspace").copy(to: Scratch().url.appendingPathComponent("served"))
    }

    static let webTest = #"{"project":"web","environment":"test","version":"1.0"}"#

    @Test func everyRequestNeedsATokenWhoseRoleAndScopeCoverIt() async throws {
        let server = try await ServerProcess.start(try Self.workspace())
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let viewer = try await server.token("viewer")
        let webOnly = try await server.token("deployer", project: "web")
        let prodOnly = try await server.token("deployer", environment: "production")
        #expect(try await server.request("GET", "/api/v1/status", token: nil).status == 401)
        #expect(
            try await server.request("GET", "/api/v1/status", token: "lat_" + String(repeating: "1", count: 64)).status
                == 401)
        let denied = try await server.request("POST", "/api/v1/deployments", token: viewer, body: Self.webTest)
        #expect(denied.status == 403 && denied.body.contains("is a viewer; this needs deployer"), "\(denied)")
        let otherProject = try await server.request(
            "POST", "/api/v1/deployments", token: webOnly,
            body: #"{"project":"slow","environment":"test","version":"1"}"#)
        #expect(otherProject.status == 403 && otherProject.body.contains("is for project web, not slow"))
        let otherEnvironment = try await server.request(
            "POST", "/api/v1/deployments", token: prodOnly, body: Self.webTest)
        #expect(otherEnvironment.status == 403 && otherEnvironment.body.contains("is for environment production"))
        let scoped = try await server.request("GET", "/api/v1/status", token: webOnly)
        #expect(scoped.status == 200 && scoped.body.contains(#""project":"web""#) && !scoped.body.contains("slow"))
        let history = try await Lander.run([
            "history", "-f", server.directory.appendingPathComponent("web/lander.yml").path,
        ])
        #expect(history.stdout.contains("no deployments"), "nothing was deployed: \(history.stdout)")
        let revoked = try await server.token("viewer")
        let list = try await Lander.run(["server", "token", "list", "--workspace", server.directory.path])
        #expect(!list.stdout.contains("lat_"), "tokens are never listed: \(list.stdout)")
        _ = try await Lander.run(["server", "token", "revoke", "viewer", "--workspace", server.directory.path])
        #expect(try await server.request("GET", "/api/v1/status", token: revoked).status == 401)
    }

    @Test func everyPathOfTheServedOpenAPIDocumentIsARouteThatChecksTheToken() async throws {
        let server = try await ServerProcess.start(try Self.workspace())
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let served = try await server.request("GET", "/api/v1/openapi.json", token: nil)
        #expect(served.status == 200)
        let document = ServerProcess.object(served.body)
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        #expect(paths.count >= 8, "\(paths.keys)")
        for (path, operations) in paths where path != "/openapi.json" {
            for (method, operation) in operations {
                let concrete = "/api/v1" + path.replacingOccurrences(of: "{id}", with: "20260101-000000-beef")
                let answer = try await server.request(method.uppercased(), concrete, token: nil)
                // An operation without bearer security (an agent's enrolment) is a route that wants its body.
                let open = ((operation as? [String: Any])?["security"] as? [Any])?.isEmpty == true
                #expect(
                    answer.status == (open ? 400 : 401), "\(method) \(path) is a route that checks the token: \(answer)"
                )
            }
        }
        for (method, path) in [
            ("GET", "/api/v1/nothing"), ("DELETE", "/api/v1/deployments"), ("PUT", "/api/v1/status"),
        ] {
            let status = try await server.request(method, path, token: nil).status
            #expect(status == 404 || status == 405, "\(method) \(path) is no route: \(status)")
        }
    }

    @Test func withACertificateTheServerSpeaksHTTPSAndPlainHTTPOffLoopbackIsRefused() async throws {
        let directory = try Self.workspace()
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let made = try await Program.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        #expect(made.status == 0, "\(made.stderr)")
        let server = try await ServerProcess.start(directory, arguments: ["--tls-cert", cert, "--tls-key", key])
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let token = try await server.token("viewer")
        let config = directory.appendingPathComponent("curl.conf").path
        try "header = \"Authorization: Bearer \(token)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let secure = try await Program.run(
            "/usr/bin/curl",
            [
                "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", cert, "-K", config,
                "https://127.0.0.1:\(server.port)/api/v1/status",
            ])
        #expect(secure.stdout == "200", "\(secure.stdout)\(secure.stderr)")
        let plain = try await Program.run(
            "/usr/bin/curl",
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(server.port)/api/v1/status"])
        #expect(plain.stdout != "200", "no plain HTTP on a TLS server")
        // The command line trusts the server's private CA when told to, and says what to do when not.
        let remote = ["LANDER_SERVER": "https://127.0.0.1:\(server.port)", "LANDER_TOKEN": token]
        let untrusted = try await Lander.run(["status"], environment: remote)
        #expect(untrusted.status == 3 && untrusted.stderr.contains("--ca-file"), "\(untrusted.stderr)")
        let trusted = try await Lander.run(["status"], environment: remote.merging(["LANDER_CA_FILE": cert]) { $1 })
        #expect(trusted.status == 0 && trusted.stdout.contains("workspace served"), "\(trusted.stderr)")
        let open = try await Lander.run(["server", "--workspace", directory.path, "--listen", "0.0.0.0:0"])
        #expect(open.status == 64 && open.stderr.contains("plain HTTP is for loopback only"), "\(open.stderr)")
        let broken = try await Lander.run(
            [
                "server", "--workspace", directory.path, "--listen", "127.0.0.1:0", "--tls-cert", key + ".missing",
                "--tls-key", key,
            ])
        #expect(broken.status == 64 && broken.stderr.contains("cannot read the certificate"), "\(broken.stderr)")
    }

    @Test func badRequestsGetAClearJSONError() async throws {
        let server = try await ServerProcess.start(try Self.workspace())
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let deployer = try await server.token("deployer")
        let malformed = try await server.request("POST", "/api/v1/deployments", token: deployer, body: "{not json")
        #expect(malformed.status == 400, "\(malformed)")
        #expect((ServerProcess.object(malformed.body)["error"] as? [String: Any])?["code"] as? String == "bad_request")
        let huge = "{\"project\":\"" + String(repeating: "x", count: 70_000) + "\"}"
        #expect(try await server.request("POST", "/api/v1/deployments", token: deployer, body: huge).status == 413)
        let unknown = try await server.request(
            "POST", "/api/v1/deployments", token: deployer,
            body: #"{"project":"shop","environment":"test","version":"1"}"#)
        #expect(unknown.status == 404 && unknown.body.contains("no project 'shop'"), "\(unknown)")
        let noEnvironment = try await server.request(
            "POST", "/api/v1/deployments", token: deployer, body: #"{"project":"web","environment":"qa","version":"1"}"#
        )
        #expect(noEnvironment.status == 404 && noEnvironment.body.contains("no environment 'qa'"), "\(noEnvironment)")
        #expect(
            try await server.request("GET", "/api/v1/deployments/20260101-000000-dead", token: deployer).status == 404)
        let traversal = try await server.request("GET", "/api/v1/deployments/..%2F..%2Fstate.db", token: deployer)
        #expect(traversal.status == 400 || traversal.status == 404, "\(traversal)")
        #expect(try await server.request("GET", "/api/v1/deployments?limit=0", token: deployer).status == 400)
    }

    @Test func aDeploymentAskedOfTheServerRunsAndItsEventsStreamSnapshotThenLive() async throws {
        let directory = try Self.workspace()
        let server = try await ServerProcess.start(directory)
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let deployer = try await server.token("deployer")
        let queued = try await server.request("POST", "/api/v1/deployments", token: deployer, body: Self.webTest)
        #expect(queued.status == 202, "\(queued)")
        let id = try #require(ServerProcess.object(queued.body)["id"] as? String)
        let stream = try await server.request("GET", "/api/v1/deployments/\(id)/events", token: deployer)
        #expect(stream.status == 200)
        let all = ServerProcess.frames(stream.body)
        #expect(all.filter { $0.event == "snapshot-end" }.count == 1, "\(stream.body)")
        let frames = all.filter { $0.event == nil }
        #expect(frames.first?.data["event"] as? String == "deployment_started", "\(stream.body)")
        #expect(frames.last?.data["event"] as? String == "deployment_finished", "\(stream.body)")
        #expect(frames.contains { $0.data["event"] as? String == "output" }, "output lines too: \(stream.body)")
        let numbers = frames.compactMap { $0.data["sequence"] as? Int }
        #expect(numbers == Array(1...numbers.count), "every event once, in order: \(numbers)")
        let view = try await server.wait(for: id, state: "succeeded", token: deployer)
        let record = view["deployment"] as? [String: Any]
        #expect((record?["user"] as? String)?.hasPrefix("deployer (token t") == true, "who asked is recorded: \(view)")
        #expect(
            (try? String(
                contentsOf: directory.appendingPathComponent("web/.lander/targets/test/w-2/VERSION"), encoding: .utf8))
                == "1.0\n")
        let resumed = try await server.request(
            "GET", "/api/v1/deployments/\(id)/events", token: deployer, headers: ["Last-Event-ID: 5"])
        let rest = ServerProcess.frames(resumed.body).compactMap { $0.data["sequence"] as? Int }
        #expect(rest.first == 6 && rest.count == numbers.count - 5, "\(rest)")
        let logs = try await server.request("GET", "/api/v1/deployments/\(id)/logs?target=w-1", token: deployer)
        #expect(logs.body.contains("built 1.0 on w-1") && !logs.body.contains("w-2"), "\(logs.body)")
        let history = try await server.request("GET", "/api/v1/deployments?project=web&limit=5", token: deployer)
        #expect(history.body.contains(id))
    }

    @Test func aFollowerGetsEveryEventOnceWhenManyTargetsPrintAtOnce() async throws {
        let directory = try Self.workspace()
        let server = try await ServerProcess.start(directory)
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let token = try await server.token("deployer")
        let queued = try await server.request(
            "POST", "/api/v1/deployments", token: token, body: #"{"project":"many","environment":"test","version":"1"}"#
        )
        let id = try #require(ServerProcess.object(queued.body)["id"] as? String)
        async let stream = server.request("GET", "/api/v1/deployments/\(id)/events", token: token)
        try await Task.sleep(for: .milliseconds(300))
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("go").path, contents: nil)
        let frames = ServerProcess.frames(try await stream.body).filter { $0.event == nil }
        let numbers = frames.compactMap { $0.data["sequence"] as? Int }
        #expect(numbers.count > 480, "8 targets × 60 lines and more: \(numbers.count)")
        let missing = Set(1...(numbers.max() ?? 1)).subtracting(numbers).sorted()
        #expect(missing.isEmpty && Set(numbers).count == numbers.count, "lost \(missing), or sent twice")
        #expect(frames.last?.data["event"] as? String == "deployment_finished")
    }

    @Test func aQuietStreamGetsKeepAliveComments() async throws {
        let directory = try Self.workspace()
        let server = try await ServerProcess.start(
            directory, arguments: ["--max-running", "1"], environment: ["LANDER_SSE_HEARTBEAT_SECONDS": "0.1"])
        defer { kill(server.process.processIdentifier, SIGKILL) }
        // slow's step ends when the test does (a killed server leaves its command running).
        defer {
            _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("release").path, contents: nil)
        }
        let token = try await server.token("deployer")
        _ = try await server.request(
            "POST", "/api/v1/deployments", token: token, body: #"{"project":"slow","environment":"test","version":"1"}"#
        )
        try await StoreCommandsTests.waitFor(directory.appendingPathComponent("slow-started").path)
        // web waits in the queue behind slow the whole time: its stream stays open and quiet.
        let queued = try await server.request("POST", "/api/v1/deployments", token: token, body: Self.webTest)
        let id = try #require(ServerProcess.object(queued.body)["id"] as? String)
        let config = directory.appendingPathComponent("curl.conf").path
        try "header = \"Authorization: Bearer \(token)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let stream = try await Program.run(
            "/usr/bin/curl",
            [
                "-s", "-N", "--max-time", "2", "-K", config,
                "http://127.0.0.1:\(server.port)/api/v1/deployments/\(id)/events",
            ])
        #expect(stream.stdout.contains("event: snapshot-end"), "\(stream.stdout)")
        #expect(stream.stdout.components(separatedBy: ": keep-alive\n\n").count > 3, "\(stream.stdout)")
    }

    @Test func theQueueRunsABoundedNumberAndTheNextServerTakesOverAKilledOnesWork() async throws {
        let directory = try Self.workspace()
        let first = try await ServerProcess.start(directory, arguments: ["--max-running", "1"])
        let deployer = try await first.token("deployer")
        let slow = try await first.request(
            "POST", "/api/v1/deployments", token: deployer,
            body: #"{"project":"slow","environment":"test","version":"1"}"#)
        let slowID = try #require(ServerProcess.object(slow.body)["id"] as? String)
        try await StoreCommandsTests.waitFor(directory.appendingPathComponent("slow-started").path)
        let web = try await first.request("POST", "/api/v1/deployments", token: deployer, body: Self.webTest)
        #expect(ServerProcess.object(web.body)["position"] as? Int == 1, "web waits behind slow: \(web.body)")
        let webID = try #require(ServerProcess.object(web.body)["id"] as? String)
        #expect(
            ServerProcess.object(try await first.request("GET", "/api/v1/deployments/\(webID)", token: deployer).body)[
                "state"] as? String == "queued")
        kill(first.process.processIdentifier, SIGKILL)
        _ = await waitForExit(first.process)
        let pid = try #require(
            (try? String(contentsOf: directory.appendingPathComponent("slow.pid"), encoding: .utf8))
                .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        kill(-pid, SIGKILL)
        let second = try await ServerProcess.start(directory, arguments: ["--max-running", "1"])
        defer { kill(second.process.processIdentifier, SIGKILL) }
        // The next server takes the dead one's deployment over (resumed by `lander resume`'s rules), before
        // the queue: web waits behind it again.
        let taken = try await second.wait(for: slowID, state: "running", token: deployer)
        #expect(
            (taken["deployment"] as? [String: Any])?["pid"] as? Int == Int(second.process.processIdentifier), "\(taken)"
        )
        let busy = try await second.request("POST", "/api/v1/deployments/\(slowID)/resume", token: deployer)
        #expect(busy.status == 409, "a deployment running again is not resumed twice: \(busy)")
        #expect(
            ServerProcess.object(try await second.request("GET", "/api/v1/deployments/\(webID)", token: deployer).body)[
                "state"] as? String == "queued")
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("release").path, contents: nil)
        _ = try await second.wait(for: slowID, state: "succeeded", token: deployer)
        _ = try await second.wait(for: webID, state: "succeeded", token: deployer)
        let version = directory.appendingPathComponent("slow/.lander/targets/test/s-1/VERSION")
        #expect((try? String(contentsOf: version, encoding: .utf8)) == "1\n")
        let stream = try await second.request("GET", "/api/v1/deployments/\(slowID)/events", token: deployer)
        let numbers = ServerProcess.frames(stream.body).compactMap { $0.data["sequence"] as? Int }
        #expect(numbers == Array(1...numbers.count), "one numbering across both runs: \(numbers)")
        let again = try await second.request("POST", "/api/v1/deployments/\(slowID)/resume", token: deployer)
        #expect(again.status == 409, "a succeeded deployment is not resumed: \(again)")
    }

    @Test func aDeploymentSaysWhyItWaitsAndLocksShowTheHolder() async throws {
        let directory = try Self.workspace()
        let server = try await ServerProcess.start(directory, arguments: ["--max-running", "2"])
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let deployer = try await server.token("deployer")
        let body = #"{"project":"slow","environment":"test","version":"1"}"#
        let first = ServerProcess.object(
            try await server.request("POST", "/api/v1/deployments", token: deployer, body: body).body)
        let firstID = try #require(first["id"] as? String)
        try await StoreCommandsTests.waitFor(directory.appendingPathComponent("slow-started").path)
        let second = ServerProcess.object(
            try await server.request("POST", "/api/v1/deployments", token: deployer, body: body).body)
        let secondID = try #require(second["id"] as? String)
        var why = ""
        for _ in 0..<500 {
            let view = ServerProcess.object(
                try await server.request("GET", "/api/v1/deployments/\(secondID)", token: deployer).body)
            why = view["why"] as? String ?? ""
            if why.contains("lock") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(
            why.hasPrefix("waits for lock 'deploy:slow/test', held by slow → test, deployment \(firstID)"), "\(why)")
        let firstView = ServerProcess.object(
            try await server.request("GET", "/api/v1/deployments/\(firstID)", token: deployer).body)
        #expect(firstView["why"] as? String == "runs step hold", "\(firstView)")
        let locks = try await server.request("GET", "/api/v1/locks", token: deployer)
        #expect(locks.body.contains("deploy:slow/test") && locks.body.contains(firstID), "\(locks.body)")
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("release").path, contents: nil)
        _ = try await server.wait(for: secondID, state: "succeeded", token: deployer)
        #expect(
            ServerProcess.object(
                try await server.request("GET", "/api/v1/deployments/\(firstID)", token: deployer).body)["state"]
                as? String == "succeeded")
    }

    @Test func aRollbackThroughTheAPIPutsBackThePreviousRelease() async throws {
        let directory = try Self.workspace()
        let server = try await ServerProcess.start(directory)
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let deployer = try await server.token("deployer", project: "web")
        for version in ["1.0", "2.0"] {
            let body = #"{"project":"web","environment":"test","version":"\#(version)"}"#
            let queued = ServerProcess.object(
                try await server.request("POST", "/api/v1/deployments", token: deployer, body: body).body)
            _ = try await server.wait(for: try #require(queued["id"] as? String), state: "succeeded", token: deployer)
        }
        let version = directory.appendingPathComponent("web/.lander/targets/test/w-1/VERSION")
        #expect((try? String(contentsOf: version, encoding: .utf8)) == "2.0\n")
        let viewer = try await server.token("viewer")
        let refused = try await server.request(
            "POST", "/api/v1/rollback", token: viewer, body: #"{"project":"web","environment":"test"}"#)
        #expect(refused.status == 403)
        let started = try await server.request(
            "POST", "/api/v1/rollback", token: deployer, body: #"{"project":"web","environment":"test"}"#)
        #expect(started.status == 202, "\(started)")
        let id = try #require(ServerProcess.object(started.body)["id"] as? String)
        let view = try await server.wait(for: id, state: "succeeded", token: deployer)
        #expect((view["deployment"] as? [String: Any])?["kind"] as? String == "rollback")
        #expect((try? String(contentsOf: version, encoding: .utf8)) == "1.0\n")
    }

    @Test func theCommandLineThroughTheServerGivesTheOutcomesAndExitCodesItGivesLocally() async throws {
        let directory = try Self.workspace()
        let server = try await ServerProcess.start(directory)
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let token = try await server.token("deployer")
        let file = directory.appendingPathComponent("web/lander.yml").path
        let remote = ["LANDER_SERVER": "http://127.0.0.1:\(server.port)", "LANDER_TOKEN": token]
        for (version, environment, code) in [("1.0", "test", 0), ("bad", "test", 1), ("1.0", "qa", 2)] {
            let arguments = ["deploy", "-f", file, "-e", environment, "--version", version, "--plain"]
            let local = try await Lander.run(arguments)
            let through = try await Lander.run(arguments, environment: remote)
            #expect(local.status == Int32(code), "locally \(version) → \(environment): \(local.stdout)\(local.stderr)")
            #expect(through.status == local.status, "through the server: \(through.stdout)\(through.stderr)")
            if code == 1 {
                #expect(through.stderr.contains("exited 9"), "the failure's headline: \(through.stderr)")
                #expect(through.stdout.contains("deployment ") && through.stdout.contains(" failed in "))
            }
            if code == 0 {
                #expect(through.stdout.contains("step serve: finished") && through.stdout.contains("succeeded in"))
            }
        }
        let history = try await Lander.run(["history", "--project", "web"], environment: remote)
        let records = history.stdout.split(separator: "\n")
        #expect(records.count == 4, "two local and two remote deployments: \(history.stdout)")
        #expect(records.filter { $0.contains("by deployer (token t") }.count == 2, "\(history.stdout)")
        let refused = try await Lander.run(["history"], environment: ["LANDER_SERVER": remote["LANDER_SERVER"] ?? ""])
        #expect(refused.status == 3 && refused.stderr.contains("401"), "\(refused.stderr)")
    }

    @Test func showLogsCancelResumeAndRollbackThroughTheServerAsLocally() async throws {
        let directory = try Self.workspace()
        let server = try await ServerProcess.start(directory)
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let remote = [
            "LANDER_SERVER": "http://127.0.0.1:\(server.port)", "LANDER_TOKEN": try await server.token("admin"),
        ]
        let web = directory.appendingPathComponent("web/lander.yml").path
        for version in ["1.0", "2.0"] {
            let run = try await Lander.run(
                ["deploy", "-f", web, "-e", "test", "--version", version, "--plain"], environment: remote)
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        let newest = try #require(
            try StoreCommandsTests.ids(try await Lander.run(["history", "-f", web, "--json"]).stdout).first)
        for command in [["show", newest.id], ["logs", newest.id, "--target", "w-2"]] {
            let local = try await Lander.run(command + ["-f", web])
            let through = try await Lander.run(command, environment: remote)
            // The API's times carry milliseconds: a duration computed from two of them may differ by one.
            let same = { (text: String) in
                text.replacingOccurrences(of: #"\(\d+ms\)"#, with: "(…)", options: .regularExpression)
            }
            #expect(
                through.status == 0 && same(through.stdout) == same(local.stdout),
                "\(command[0]):\n\(local.stdout)\n---\n\(through.stdout)\(through.stderr)")
        }
        let back = try await Lander.run(["rollback", "-f", web, "-e", "test", "--plain"], environment: remote)
        #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
        let version = directory.appendingPathComponent("web/.lander/targets/test/w-1/VERSION")
        #expect((try? String(contentsOf: version, encoding: .utf8)) == "1.0\n")
        let localStatus = try await Lander.run(["status", "-f", web])
        let remoteStatus = try await Lander.run(["status"], environment: remote)
        let body = { (text: String) in
            text.split(separator: "\n").dropFirst().joined(separator: "\n")
                .replacingOccurrences(of: #"\d+[smhd] ago"#, with: "… ago", options: .regularExpression)
        }
        #expect(
            remoteStatus.stdout.hasPrefix("server http://127.0.0.1:"), "\(remoteStatus.stdout)\(remoteStatus.stderr)")
        #expect(
            body(remoteStatus.stdout) == body(localStatus.stdout), "\(localStatus.stdout)\n---\n\(remoteStatus.stdout)")
        #expect(remoteStatus.stdout.contains("workspace served: 3 projects"))
        let slow = directory.appendingPathComponent("slow/lander.yml").path
        let following = try StoreCommandsTests.start(
            ["deploy", "-f", slow, "-e", "test", "--version", "7", "--plain"], environment: remote)
        try await StoreCommandsTests.waitFor(directory.appendingPathComponent("slow-started").path)
        let id = try #require(
            try StoreCommandsTests.ids(try await Lander.run(["history", "-f", slow, "--json"]).stdout).first?.id)
        let cancelled = try await Lander.run(["cancel", id], environment: remote)
        #expect(
            cancelled.status == 0 && cancelled.stdout.contains("cancelling"), "\(cancelled.stdout)\(cancelled.stderr)")
        #expect(await waitForExit(following, timeout: .seconds(30)) == 130, "the following deploy ends as cancelled")
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("release").path, contents: nil)
        let resumed = try await Lander.run(["resume", id, "--plain"], environment: remote)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        let slowVersion = directory.appendingPathComponent("slow/.lander/targets/test/s-1/VERSION")
        #expect((try? String(contentsOf: slowVersion, encoding: .utf8)) == "7\n")
        #expect(try await Lander.run(["cancel", id]).status == 64, "cancel needs a server")
    }

    @Test func promoteThroughTheServerAsLocally() async throws {
        let directory = try Self.workspace()
        let server = try await ServerProcess.start(directory)
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let remote = [
            "LANDER_SERVER": "http://127.0.0.1:\(server.port)", "LANDER_TOKEN": try await server.token("deployer"),
        ]
        let web = directory.appendingPathComponent("web/lander.yml").path
        #expect(
            try await Lander.run(
                ["deploy", "-f", web, "-e", "test", "--version", "4.2", "--plain"], environment: remote
            ).status == 0)
        let dry = ["promote", "--from", "test", "--to", "production", "--dry-run"]
        let local = try await Program.run(try Lander.executable.path, dry, directory: directory.path)
        let through = try await Lander.run(dry, environment: remote)
        #expect(
            through.status == local.status && through.stdout == local.stdout,
            "\(local.stdout)\n---\n\(through.stdout)\(through.stderr)")
        let scoped = [
            "LANDER_SERVER": remote["LANDER_SERVER"] ?? "",
            "LANDER_TOKEN": try await server.token("deployer", project: "web"),
        ]
        let refused = try await Lander.run(["promote", "--from", "test", "--to", "production"], environment: scoped)
        #expect(refused.status == 3 && refused.stderr.contains("is for project web, not "), "\(refused.stderr)")
        let promoted = try await Lander.run(
            ["promote", "--from", "test", "--to", "production", "-p", "web"], environment: scoped)
        #expect(
            promoted.status == 0 && promoted.stdout.contains("web 4.2  succeeded"),
            "\(promoted.stdout)\(promoted.stderr)")
        let version = directory.appendingPathComponent("web/.lander/targets/production/w-1/VERSION")
        #expect((try? String(contentsOf: version, encoding: .utf8)) == "4.2\n")
    }

    @Test func sigtermLetsRunningDeploymentsFinishForTheGraceThenCancelsThem() async throws {
        let directory = try Self.workspace()
        let server = try await ServerProcess.start(directory, arguments: ["--grace", "1"])
        let deployer = try await server.token("deployer")
        let slow = try await server.request(
            "POST", "/api/v1/deployments", token: deployer,
            body: #"{"project":"slow","environment":"test","version":"1"}"#)
        let id = try #require(ServerProcess.object(slow.body)["id"] as? String)
        try await StoreCommandsTests.waitFor(directory.appendingPathComponent("slow-started").path)
        let pid = try #require(
            (try? String(contentsOf: directory.appendingPathComponent("slow.pid"), encoding: .utf8))
                .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await waitForExit(server.process, timeout: .seconds(30)) != nil, "the server stopped")
        #expect(await isGone(pid), "the cancelled step's process is gone")
        let history = try await Lander.run([
            "history", "-f", directory.appendingPathComponent("slow/lander.yml").path, "--json",
        ])
        #expect(
            try StoreCommandsTests.ids(history.stdout).first { $0.id == id }?.status == "cancelled", "\(history.stdout)"
        )
    }
}
