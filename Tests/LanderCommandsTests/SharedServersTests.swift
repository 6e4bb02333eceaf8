import Foundation
import LanderTesting
import Testing

/// Several `lander server`s on one real PostgreSQL: the queue shared, a server killed -9 again and again,
/// its work taken over; every deployment ends once, no step runs on two servers at once, the shared
/// lock never has two holders, and the schedule fires once per due time.
@Suite(.serialized) struct SharedServersTests {
    /// Three servers sharing a store, and what they need to be started again.
    final class Cluster: @unchecked Sendable {
        let directory: URL
        let store: String
        let environment: [String: String]
        var servers: [ServerProcess] = []

        init(directory: URL, postgres: TestPostgres) async throws {
            self.directory = directory
            let url = try await postgres.freshDatabase()
            let parts = try #require(URLComponents(string: url))
            environment = ["PGPASSWORD": parts.password ?? "", "LANDER_LEASE_SECONDS": "5"]
            store = "postgres://\(parts.user ?? "")@\(parts.host ?? ""):\(parts.port ?? 0)\(parts.path)"
        }

        func start() async throws -> ServerProcess {
            let server = try await ServerProcess.start(
                directory, arguments: ["--store", store, "--max-running", "3"], environment: environment)
            servers.append(server)
            return server
        }

        func lander(_ arguments: [String]) async throws -> ProgramRun {
            try await Lander.run(
                arguments + ["--workspace", directory.path, "--store", store], environment: environment)
        }

        /// A copy of the fixture (`shared-servers` unless said) served by `servers` servers, and a deployer token.
        static func started(servers count: Int, postgres: TestPostgres, fixture: String = "shared-servers")
            async throws -> (Cluster, String)
        {
            let cluster = try await Cluster(
                directory: try Fixture(fixture).copy(to: Scratch().url.appendingPathComponent(fixture)),
                postgres: postgres)
            for _ in 0..<count { _ = try await cluster.start() }
            let token = try await cluster.lander(["server", "token", "create", "--role", "deployer", "--name", "ci"])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            return (cluster, token)
        }

        /// Queues `count` deployments over the first `projects` projects, round robin over the servers.
        func queue(_ count: Int, projects: Int, token: String, version: String) async throws -> [String] {
            var ids: [String] = []
            for index in 0..<count {
                let body =
                    #"{"project":"p\#(index % projects + 1)","environment":"test","version":"\#(version)\#(index)"}"#
                let answer = try await servers[index % servers.count].request(
                    "POST", "/api/v1/deployments", token: token, body: body)
                ids.append(try #require(ServerProcess.object(answer.body)["id"] as? String, "\(answer)"))
            }
            return ids
        }

        deinit { for server in servers { kill(server.process.processIdentifier, SIGKILL) } }
    }

    @Test func fiftyDeploymentsThroughThreeServersKilledAgainAndAgainEachEndOnce() async throws {
        // A cluster of its own: three servers' load stays off the PostgreSQL the store tests share.
        let postgres = try await TestPostgres.start()
        defer { postgres.stop() }
        let (cluster, token) = try await Cluster.started(servers: 3, postgres: postgres)
        let ids = try await cluster.queue(50, projects: 5, token: token, version: "v")
        // Kill a random live server -9 three times, a second or two apart, starting a new one each time.
        var killed: [Int32] = []
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 1000...2500)))
            let live = cluster.servers.filter { $0.process.isRunning }
            let victim = try #require(live.randomElement())
            kill(victim.process.processIdentifier, SIGKILL)
            killed.append(victim.process.processIdentifier)
            _ = try await cluster.start()
        }
        let watcher = try #require(cluster.servers.last)
        var states: [String: String] = [:]
        for _ in 0..<300 {
            for id in ids where !["succeeded", "failed", "cancelled"].contains(states[id] ?? "") {
                let view = ServerProcess.object(
                    try await watcher.request("GET", "/api/v1/deployments/\(id)", token: token).body)
                states[id] = view["state"] as? String
            }
            if ids.allSatisfy({ states[$0] == "succeeded" }) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let stuck = ids.filter { states[$0] != "succeeded" }
        if !stuck.isEmpty {
            let list = stuck.map { "'\($0)'" }.joined(separator: ",")
            let rows = try await query(
                "SELECT id, status, host, pid, heartbeat_at FROM deployment WHERE id IN (\(list))", postgres, cluster)
            let queue = try await query(
                "SELECT id, state, claimed_by, claimed_until, detail FROM queued_deployment WHERE id IN (\(list))",
                postgres, cluster)
            let events = try await query(
                "SELECT deployment_id, kind, detail FROM event WHERE deployment_id IN (\(list)) ORDER BY id", postgres,
                cluster)
            let servers = try await query("SELECT id, heartbeat_at, stopped_at FROM server", postgres, cluster)
            let locks = try await query(
                "SELECT name, holding, owner, pid, expires_at, deployment_id, guard_run FROM lock_claim", postgres,
                cluster)
            let open = try await query(
                "SELECT id, project, status, pid FROM deployment WHERE status <> 'succeeded'", postgres, cluster)
            Issue.record("locks \(locks) unfinished \(open) now \(Date().timeIntervalSince1970)")
            Issue.record(
                "not succeeded: \(stuck.map { "\($0): \(states[$0] ?? "?")" }) rows \(rows) queue \(queue) events \(events) servers \(servers) killed \(killed)"
            )
        }
        let status = try await cluster.lander(["server", "status"])
        #expect(status.stdout.contains("3 of 6 servers alive"), "\(status.stdout)")
        for pid in killed { #expect(status.stdout.contains(":\(pid)  ") && !status.stdout.contains(":\(pid)  alive")) }
        try await checkEachEndedOnce(ids, postgres: postgres, cluster: cluster)
        // The dashboard's page of a deployment taken over names the server that finished it.
        let resumed = try await query(
            "SELECT deployment_id, detail FROM event WHERE kind = 'resumed' ORDER BY id DESC LIMIT 1", postgres, cluster
        )
        let taken = try #require(resumed.first)
        let words = taken[1].split(separator: " ")
        let page = try await watcher.page("GET", "/deployments/\(taken[0])", cookie: token)
        #expect(page.body.contains("id=\"runner\">\(words.last ?? ""):\(words.dropFirst(3).first ?? "")<"), "\(taken)")
        try checkNoOverlap(file: cluster.directory.appendingPathComponent("intervals.log"), perKey: true)
        try checkNoOverlap(file: cluster.directory.appendingPathComponent("locked.log"), perKey: false)
    }

    @Test func aPostgreSQLRestartInTheMiddleLosesNoDeployment() async throws {
        let postgres = try await TestPostgres.start()
        defer { postgres.stop() }
        let (cluster, token) = try await Cluster.started(servers: 2, postgres: postgres)
        let ids = try await cluster.queue(12, projects: 4, token: token, version: "r")
        try await Task.sleep(for: .milliseconds(1500))
        await postgres.halt()
        try await Task.sleep(for: .seconds(3))
        try await postgres.startAgain()
        var states: [String: String] = [:]
        var answers: [String: String] = [:]
        for _ in 0..<240 {
            for id in ids where states[id] != "succeeded" {
                let answer = try? await cluster.servers[0].request("GET", "/api/v1/deployments/\(id)", token: token)
                answers[id] = answer?.body
                states[id] = ServerProcess.object(answer?.body ?? "")["state"] as? String
            }
            if ids.allSatisfy({ states[$0] == "succeeded" }) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let unfinished = ids.filter { states[$0] != "succeeded" }
        #expect(unfinished.isEmpty, "\(states) \(unfinished.map { answers[$0] ?? "" })")
        #expect(cluster.servers.allSatisfy { $0.process.isRunning }, "the servers rode out the restart")
        try await checkEachEndedOnce(ids, postgres: postgres, cluster: cluster, killed: false)
    }

    /// Every deployment has exactly one `finished` event (a killed run wrote none; its resumption one), and
    /// the schedule started no more deployments than it has due times claimed (at least one).
    private func checkEachEndedOnce(_ ids: [String], postgres: TestPostgres, cluster: Cluster, killed: Bool = true)
        async throws
    {
        var finished: [String: Int] = [:]
        let rows = try await query(
            "SELECT deployment_id, count(*) FROM event WHERE kind = 'finished' GROUP BY deployment_id", postgres,
            cluster)
        for fields in rows where fields.count == 2 { finished[fields[0]] = Int(fields[1]) }
        for id in ids { #expect(finished[id] == 1, "\(id) finished \(finished[id] ?? 0) times") }
        guard killed else { return }
        let resumed = try await query("SELECT count(*) FROM event WHERE kind = 'resumed'", postgres, cluster)
        #expect((Int(resumed.first?.first ?? "") ?? 0) >= 1, "a killed server's deployments were resumed elsewhere")
        let ticks = try await query(
            "SELECT (SELECT count(*) FROM deployment WHERE version = 'tick'), (SELECT count(*) FROM schedule_run)",
            postgres, cluster)
        let counts = ticks.first?.compactMap { Int($0) } ?? []
        #expect(counts.count == 2 && counts[1] >= 1 && counts[0] <= counts[1], "tick deployments, due times: \(counts)")
    }

    /// Rows of a query on the cluster's store, read with psql.
    private func query(_ sql: String, _ postgres: TestPostgres, _ cluster: Cluster) async throws -> [[String]] {
        let file = cluster.directory.appendingPathComponent("query-\(UUID().uuidString).txt").path
        let password = cluster.environment["PGPASSWORD"] ?? ""
        let url = cluster.store.replacingOccurrences(of: "postgres://lander@", with: "postgres://lander:\(password)@")
        try await postgres.psql("\\copy (\(sql)) TO '\(file)'", database: url)
        return try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: "\t").map(String.init)
        }
    }

    /// Intervals from `start KEY TIME SERVER` / `end KEY TIME SERVER` lines: with `perKey`, the same step on
    /// the same target never ran on two servers at once; without, no two intervals overlap at all (a lock).
    /// A start without an end (its server was killed and the resumption stopped it) bounds nothing.
    private func checkNoOverlap(file: URL, perKey: Bool) throws {
        var open: [String: (Double, String)] = [:]
        var intervals: [(key: String, from: Double, to: Double, server: String)] = []
        for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 4, let time = Double(fields[2]) else { continue }
            let key = fields[1] + "|" + fields[3]
            if fields[0] == "start" { open[key] = (time, fields[3]) }
            if fields[0] == "end", let begun = open.removeValue(forKey: key) {
                intervals.append((fields[1], begun.0, time, begun.1))
            }
        }
        #expect(intervals.count >= 50, "\(file.lastPathComponent): \(intervals.count) intervals")
        let groups = Dictionary(grouping: intervals) { perKey ? $0.key : "" }
        for (key, group) in groups {
            let sorted = group.sorted { $0.from < $1.from }
            for (earlier, later) in zip(sorted, sorted.dropFirst()) {
                #expect(
                    later.from >= earlier.to,
                    "\(file.lastPathComponent) \(key): \(earlier.server) ran until \(earlier.to), \(later.server) from \(later.from)"
                )
            }
        }
    }
}
