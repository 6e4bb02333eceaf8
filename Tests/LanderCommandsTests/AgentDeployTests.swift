import Foundation
import LanderTesting
import Testing

/// Deployments through real `lander agent` processes connected to a real `lander server`: the phone-home
/// choreography with a package and a session, refusals of work for another environment, an agent killed
/// mid-step, and a large upload beside commands on one target.
extension AgentTests {
    /// The agent-zone workspace with a server, and agents edge-1 and edge-2 connected to it.
    final class Zone: @unchecked Sendable {
        let root: URL
        var server: ServerProcess
        /// More servers on the same (PostgreSQL) store, which the agents learn of from the first.
        var others: [ServerProcess] = []
        let admin: String
        let scratch: URL
        var agents: [String: AgentProcess] = [:]

        /// The zone with its agents on loopback, or (`zone`) inside that network namespace, reaching the
        /// server over HTTPS at the address it is started with (`serverArguments`).
        /// With `postgres`, the workspace's store is a fresh database there, served by `servers` servers.
        init(
            agents names: [String] = ["edge-1", "edge-2"], serverArguments: [String] = [],
            zone: (namespace: String, caFile: String)? = nil, postgres: TestPostgres? = nil, servers: Int = 1
        ) async throws {
            root = try Scratch().url.appendingPathComponent("zone")
            let plugins = Repository.root.appendingPathComponent("examples/phone-home/plugins").path
            try Fixture("agent-zone").copy(to: root, ["PLUGINS": plugins, "HOLD": "", "SOURCE": ""])
            var environment: [String: String] = [:]
            if let postgres { environment = try await Self.share(root, on: postgres) }
            server = try await ServerProcess.start(root, arguments: serverArguments, environment: environment)
            for _ in 1..<max(1, servers) {
                others.append(try await ServerProcess.start(root, arguments: serverArguments, environment: environment))
            }
            if let zone { server.curlOptions = ["--cacert", zone.caFile] }
            admin = try await server.token("admin")
            scratch = try Scratch().url
            for name in names {
                let run = try await Lander.run(
                    [
                        "server", "agent", "enroll", "--workspace", root.path, "--environment", "production",
                        "--roles", "cluster-a,app,big",
                    ], environment: environment)
                agents[name] = try AgentProcess(
                    url: server.base, name: name, workDir: scratch.appendingPathComponent(name),
                    enroll: run.stdout.trimmingCharacters(in: .whitespacesAndNewlines), inZone: zone?.namespace,
                    caFile: zone?.caFile, tlsName: zone == nil ? nil : "lander.zone")
            }
            let server = self.server
            let admin = self.admin
            let connected = try await AgentTests.eventually(30) {
                let now = try await AgentTests.connected(server, admin)
                return names.allSatisfy { now[$0] == true }
            }
            #expect(connected, "\(agents.values.map(\.text))")
        }

        deinit { for each in [server] + others { kill(each.process.processIdentifier, SIGKILL) } }

        /// Points the workspace at a fresh database of `postgres` (its password in the environment returned).
        static func share(_ root: URL, on postgres: TestPostgres) async throws -> [String: String] {
            let parts = try #require(URLComponents(string: try await postgres.freshDatabase()))
            let file = root.appendingPathComponent("lander-workspace.yml")
            let store = "postgres://\(parts.user ?? "")@\(parts.host ?? ""):\(parts.port ?? 0)\(parts.path)"
            try (try String(contentsOf: file, encoding: .utf8) + "store: \(store)\n").write(
                to: file, atomically: true, encoding: .utf8)
            return ["PGPASSWORD": parts.password ?? "", "LANDER_LEASE_SECONDS": "5"]
        }

        /// The workspace's store.
        var statePath: String { root.appendingPathComponent(".lander/state.db").path }

        /// A file under a target's root on an agent's machine.
        func onAgent(_ agent: String, _ target: String, _ path: String) -> String? {
            try? String(
                contentsOf: scratch.appendingPathComponent("\(agent)/targets/\(target)/\(path)"), encoding: .utf8)
        }

        /// Queues a deployment through the API and waits for it to end; its view.
        func deploy(_ project: String, _ environment: String, _ version: String, on chosen: ServerProcess? = nil)
            async throws -> [String: Any]
        {
            let body = #"{"project":"\#(project)","environment":"\#(environment)","version":"\#(version)"}"#
            let started = try await (chosen ?? server).request(
                "POST", "/api/v1/deployments", token: admin, body: body)
            let id = try #require(ServerProcess.object(started.body)["id"] as? String, "\(started.body)")
            return try await finished(id, on: chosen)
        }

        /// Waits for a deployment to end; its view.
        func finished(_ id: String, on chosen: ServerProcess? = nil) async throws -> [String: Any] {
            for _ in 0..<600 {
                let view = ServerProcess.object(
                    try await (chosen ?? server).request("GET", "/api/v1/deployments/\(id)", token: admin).body)
                if ["succeeded", "failed", "cancelled"].contains(view["state"] as? String ?? "") { return view }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw ServerError("deployment \(id) did not end")
        }

        /// A deployment's log lines as the API (of `chosen`, or the first server) gives them.
        func logs(_ view: [String: Any], on chosen: ServerProcess? = nil) async throws -> String {
            let id = view["id"] as? String ?? ""
            return try await (chosen ?? server).request("GET", "/api/v1/deployments/\(id)/logs", token: admin).body
        }

        /// Queues edge with a-1 holding its step, and waits until it holds; the deployment's id.
        func holdEdge() async throws -> String {
            try edge(hold: "60")
            let body = #"{"project":"edge","environment":"production","version":"1"}"#
            let started = try await server.request("POST", "/api/v1/deployments", token: admin, body: body)
            let id = try #require(ServerProcess.object(started.body)["id"] as? String, "\(started.body)")
            #expect(await AgentTests.eventually(30) { self.onAgent("edge-1", "a-1", "started") != nil })
            return id
        }

        /// Sets the edge project's variables.
        func edge(hold: String = "", source: String = "") throws {
            let file = root.appendingPathComponent("edge/lander.yml")
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
                of: #"variables: \{ hold: .*\}"#, with: #"variables: { hold: "\#(hold)", source: "\#(source)" }"#,
                options: .regularExpression)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }

        /// Puts package app VERSION in billing's directory feed.
        func package(_ version: String) throws {
            let source = scratch.appendingPathComponent("app-src")
            try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
            try "app \(version)".write(to: source.appendingPathComponent("README"), atomically: true, encoding: .utf8)
            let directory = root.appendingPathComponent("billing/feed/app/\(version)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let archive = "app-\(version).tar.gz"
            let packed = Process()
            packed.executableURL = URL(fileURLWithPath: "/bin/sh")
            packed.arguments = [
                "-c", #"tar -czf "$1/$2" -C "$3" . && cd "$1" && sha256sum "$2" > SHA256SUMS"#, "pack",
                directory.path, archive, source.path,
            ]
            try packed.run()
            packed.waitUntilExit()  // tar of one small file
            #expect(packed.terminationStatus == 0)
        }
    }

    @Test func theChoreographyWithAPackageASessionAndPhoneHomeRunsThroughAgents() async throws {
        let zone = try await Zone()
        try zone.package("1.0.0")
        let view = try await zone.deploy("billing", "production", "1.0.0")
        let logs = try await zone.logs(view)
        #expect(view["state"] as? String == "succeeded", "\(logs)")
        for (agent, target) in [("edge-1", "a-1"), ("edge-2", "a-2")] {
            #expect(
                zone.onAgent(agent, target, "transfer.txt") == "transferred app 1.0.0 through rule-production-b-1\n",
                "\(zone.agents[agent]?.text ?? "")")
            #expect(zone.onAgent(agent, target, "session.state") == "closed\n", "X's session was open until Z")
        }
        let allowed = try String(
            contentsOf: zone.root.appendingPathComponent("billing/.lander/targets/production/b-1/allowed.txt"),
            encoding: .utf8)
        #expect(allowed == "a 1.0.0\n", "job B ran once, on cluster B of production: \(allowed)")

        // edge-1 serves production: a deployment to staging may not use it, and the refusal is recorded.
        try zone.package("1.0.1")
        let staging = try await zone.deploy("billing", "staging", "1.0.1")
        #expect(staging["state"] as? String == "failed")
        let stagingLogs = try await zone.logs(staging)
        #expect(stagingLogs.contains("may not use agent 'edge-1'"), "\(stagingLogs)")
        #expect(zone.onAgent("edge-1", "a-1", "transfer.txt")?.contains("1.0.1") != true, "nothing ran for staging")
        let audit = try await Lander.run(["server", "agent", "list", "--workspace", zone.root.path, "--audit"])
        #expect(audit.stdout.contains("work: a deployment to staging may not use agent 'edge-1'"), "\(audit.stdout)")

        // Without the server there is no way to an agent: the command line refuses before anything runs.
        let local = try await Program.run(
            try Lander.executable.path,
            ["deploy", "-f", "billing/lander.yml", "-e", "production", "--version", "1.0.0", "--plain"],
            directory: zone.root.path, timeout: .seconds(60))
        #expect(local.status != 0 && local.stderr.contains("agents connect only to lander server"), "\(local.stderr)")
    }

    @Test func anAgentKilledMidStepFailsItsTargetAsConnectionLostAndTheOthersFinish() async throws {
        let zone = try await Zone()
        let id = try await zone.holdEdge()
        let edge1 = try #require(zone.agents["edge-1"])
        kill(edge1.process.processIdentifier, SIGKILL)
        // The step on a-1 sleeps for 60 s: the deployment ends long before that because the connection's
        // end is noticed at once (the agent's socket closes with its process).
        let view = try await zone.finished(id)
        #expect(view["state"] as? String == "failed")
        let shown = try await Lander.run(["show", view["id"] as? String ?? "", "--state", zone.statePath])
        #expect(shown.stdout.contains("connection to agent 'edge-1' lost"), "\(shown.stdout)\(shown.stderr)")
        #expect(zone.onAgent("edge-2", "a-2", "fine.txt") == "fine\n", "a-2 finished its step")
    }

    @Test func aLargeUploadNeverHoldsUpCommandsOnTheSameTarget() async throws {
        let zone = try await Zone(agents: ["edge-1", "edge-2"])
        let pipe = zone.scratch.appendingPathComponent("big.fifo").path
        #expect(mkfifo(pipe, 0o600) == 0)
        try zone.edge(source: pipe)
        let half = 25 << 20
        let gate = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            // Half of 50 MB, then held until the test has seen the commands beside it finish.
            guard let handle = FileHandle(forWritingAtPath: pipe) else { return }
            let block = Data(repeating: 0x61, count: 1 << 20)
            for _ in 0..<(half >> 20) { try? handle.write(contentsOf: block) }
            gate.wait()
            for _ in 0..<(half >> 20) { try? handle.write(contentsOf: block) }
            try? handle.close()
        }
        let body = #"{"project":"edge","environment":"production","version":"1"}"#
        let started = try await zone.server.request("POST", "/api/v1/deployments", token: zone.admin, body: body)
        let id = try #require(ServerProcess.object(started.body)["id"] as? String, "\(started.body)")
        let beside = await AgentTests.eventually(60) { zone.onAgent("edge-1", "a-1", "commands.done") != nil }
        #expect(beside, "twenty commands did not finish while the upload was under way")
        #expect(zone.onAgent("edge-1", "a-1", "big.size") == nil, "the upload was not still under way")
        gate.signal()
        let view = try await zone.finished(id)
        let logs = try await zone.logs(view)
        #expect(view["state"] as? String == "succeeded", "\(logs)")
        #expect(
            zone.onAgent("edge-1", "a-1", "big.size")?.trimmingCharacters(in: .whitespacesAndNewlines) == "52428800")
    }
}

extension AgentTests {
    @Test func anAgentStoppedWithSIGTERMStopsWhatItRunsBeforeItExits() async throws {
        let zone = try await Zone()
        let id = try await zone.holdEdge()
        let pid = try #require(
            Int32(zone.onAgent("edge-1", "a-1", "started")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        #expect(runs(pid))
        let edge1 = try #require(zone.agents["edge-1"])
        kill(edge1.process.processIdentifier, SIGTERM)
        #expect(await waitForExit(edge1.process, timeout: .seconds(30)) == 0, "\(edge1.text)")
        #expect(!runs(pid), "the command the agent ran outlived it")
        let view = try await zone.finished(id)
        #expect(view["state"] as? String == "failed")
    }
}

extension AgentTests {
    @Test func afterTheServerIsKilledAndRestartedTheAgentsReconnectAndTheNextDeploymentWorks() async throws {
        let zone = try await Zone()
        let port = zone.server.port
        kill(zone.server.process.processIdentifier, SIGKILL)
        _ = await waitForExit(zone.server.process)
        zone.server = try await ServerProcess.start(zone.root, arguments: ["--listen", "127.0.0.1:\(port)"])
        let (server, admin) = (zone.server, zone.admin)
        let back = try await AgentTests.eventually(60) {
            let now = try await AgentTests.connected(server, admin)
            return now["edge-1"] == true && now["edge-2"] == true
        }
        #expect(back, "\(zone.agents.values.map(\.text))")
        for agent in zone.agents.values {
            #expect(agent.text.contains("reconnecting to \(server.base) in"), "\(agent.text)")
        }
        let view = try await zone.deploy("edge", "production", "2")
        let logs = try await zone.logs(view)
        #expect(view["state"] as? String == "succeeded", "\(logs)")
        #expect(
            zone.onAgent("edge-1", "a-1", "fine.txt") == "fine\n"
                && zone.onAgent("edge-2", "a-2", "fine.txt") == "fine\n")
    }
}

extension AgentTests {
    @Test func cancellingADeploymentStopsTheCommandsItsAgentsRun() async throws {
        let zone = try await Zone()
        let id = try await zone.holdEdge()
        let pid = try #require(
            Int32(zone.onAgent("edge-1", "a-1", "started")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        let cancel = try await zone.server.request(
            "POST", "/api/v1/deployments/\(id)/cancel", token: zone.admin, body: "{}")
        #expect(cancel.status == 202 || cancel.status == 200, "\(cancel)")
        let view = try await zone.finished(id)
        #expect(view["state"] as? String == "cancelled", "\(view)")
        #expect(!runs(pid), "the command on the agent outlived the cancellation")
        #expect(try await AgentTests.connected(zone.server, zone.admin)["edge-1"] == true, "the agent stays connected")
    }
}
