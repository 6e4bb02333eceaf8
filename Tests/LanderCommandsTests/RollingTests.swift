import Foundation
import LanderTesting
import Testing

/// Rolling deployments against a real HAProxy and real backends under load.
@Suite(.serialized) struct RollingTests {
    static let plugins = DeployCommandTests.repository.appendingPathComponent("Plugins").path

    /// A project whose `restart` step restarts each backend (target `tN` in front of server `sN`) with `serves`.
    static func project(_ fleet: RollingFleet, rolling: String, serves: String = "{{release.version}}") throws
        -> String
    {
        let targets = fleet.backendPorts.enumerated().map { index, port in
            (
                "t\(index + 1)", index,
                ", haproxy_server: s\(index + 1), base_url: \"http://127.0.0.1:\(port)\", "
                    + "status_url: \"http://127.0.0.1:\(port)/_status\""
            )
        }
        return try haproxyProject(fleet, rolling: rolling, targets: targets, serves: serves)
    }

    /// The HAProxy drain binding for the fleet.
    static func drain(_ fleet: RollingFleet) -> String {
        "{ hook: haproxy, with: { socket: \(fleet.socket), backend: be } }"
    }

    /// Each target's rollout states in order, from `--json` events.
    static func transitions(_ json: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for line in json.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["event"] as? String == "target_state", let target = object["target"] as? String,
                let state = object["state"] as? String
            else { continue }
            result[target, default: []].append(state)
        }
        return result
    }

    /// The targets the `rollout_finished` events list as not on the new version, with where they ended.
    static func notUpdated(_ json: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in json.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["event"] as? String == "rollout_finished", let list = object["not_updated"] as? [[String: Any]]
            else { continue }
            for entry in list { result[entry["target"] as? String ?? ""] = entry["state"] as? String ?? "" }
        }
        return result
    }

    /// The most targets out of the pool at once (between `draining` and `in_pool`/`left_out`), in event order.
    static func mostOutAtOnce(_ json: String) -> Int {
        var out: Set<String> = []
        var most = 0
        for line in json.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["event"] as? String == "target_state", let target = object["target"] as? String,
                let state = object["state"] as? String
            else { continue }
            if state == "draining" { out.insert(target) }
            if state == "in_pool" || state == "left_out" { out.remove(target) }
            most = max(most, out.count)
        }
        return most
    }

    @Test func aRollingRestartBehindHAProxyDropsNoRequest() async throws {
        let fleet = try await RollingFleet(count: 4, version: "v1")
        defer { fleet.stop() }
        let file = try Self.project(
            fleet,
            rolling:
                "{ batch: 1, drain: { hook: haproxy, with: { socket: \(fleet.socket), backend: be } }, settle: 0s, "
                + "verify_fleet: { hook: version-check, with: { path: /_version } } }")
        let load = LoadGenerator(port: fleet.frontendPort)
        try await Task.sleep(for: .milliseconds(300))
        let run = try await Lander.run(
            ["deploy", "-f", file, "-e", "prod", "--version", "v2", "--json"], timeout: .seconds(120))
        try await Task.sleep(for: .milliseconds(300))
        let served = await load.stop()
        #expect(
            run.status == 0,
            "\(run.stderr)\(run.stdout.split(separator: "\n").filter { $0.contains("error") }.prefix(5))")
        #expect(served.failed == 0, "failed requests during the rollout: \(served.failures)")
        #expect(served.ok > 100, "too little load to mean anything: \(served.ok)")
        for index in 0..<4 { #expect(await fleet.version(index) == "v2", "t\(index + 1)") }
        #expect(try await fleet.upServers() == 4)
        // Batches of one never overlapped: each target was back in the pool before the next was drained.
        #expect(Self.mostOutAtOnce(run.stdout) == 1, "two batches overlapped")
        for (target, states) in Self.transitions(run.stdout) {
            #expect(states == ["prechecking", "draining", "deploying", "verifying", "in_pool"], "\(target)")
        }
        #expect(Self.transitions(run.stdout).count == 4)
        print("rolling: \(served.ok) requests served, \(served.failed) failed")
    }

    @Test func aKilledRolloutLeavesItsTargetDrainedAndResumeFinishesIt() async throws {
        let fleet = try await RollingFleet(count: 4, version: "v1")
        defer { fleet.stop() }
        let restart = RollingFleet.fixtures.appendingPathComponent("restart.sh").path
        let targets = fleet.backendPorts.indices.map { ("t\($0 + 1)", $0, ", haproxy_server: s\($0 + 1)") }
        // Each restart first says it started, then takes a second: time to kill lander in the middle.
        let file = try Self.haproxyProject(
            fleet, rolling: "{ batch: 1, drain: \(Self.drain(fleet)), precheck: none, verify: none, settle: 0s }",
            targets: targets,
            run:
                #"[sh, -c, "touch started; sleep 1; exec \"$0\" \"$1\" \"$2\" \"$3\"", "\#(restart)", "{{server}}", "{{port}}", "{{release.version}}"]"#
        )
        let load = LoadGenerator(port: fleet.frontendPort)
        let process = try StoreCommandsTests.start(["deploy", "-f", file, "-e", "prod", "--version", "v2"])
        try await StoreCommandsTests.waitFor(fleet.target(1).appendingPathComponent("started").path)
        kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit(process)
        let states = try await fleet.states()
        #expect(states["s2"] == "MAINT", "the target being changed stays out of the pool: \(states)")
        #expect(states["s3"]?.hasPrefix("UP") == true && states["s4"]?.hasPrefix("UP") == true)

        let history = try await Lander.run(["history", "-f", file, "--json"])
        let records = try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]]
        let id = try #require(records?.first?["id"] as? String)
        let resumed = try await Lander.run(["resume", id, "-f", file, "--plain"], timeout: .seconds(120))
        let served = await load.stop()
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(try await fleet.upServers() == 4, "every server back in the pool")
        for index in 0..<4 { #expect(await fleet.version(index) == "v2", "t\(index + 1)") }
        #expect(served.failed == 0, "a killed orchestrator cost no request: \(served.failures)")
        // The restart the killed run had started on t2 was stopped before the resumed run restarted t2 itself
        // (one backend serves t2's port, not two racing copies); t1's service, which a finished task started,
        // kept running.
        #expect(resumed.stdout.contains("stopped what the interrupted run left running"), "\(resumed.stdout)")
        #expect(Self.processes(containing: "backend.py s2 \(fleet.backendPorts[1])") == 1)
        #expect(Self.processes(containing: "backend.py s1 \(fleet.backendPorts[0])") == 1)
    }

    /// How many processes have `text` in their command line.
    static func processes(containing text: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { entry in
            guard Int(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else {
                return false
            }
            let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return line.contains(text) && !line.contains("pgrep")
        }.count
    }

    @Test func withoutDrainingTheSameRestartDropsRequests() async throws {
        let fleet = try await RollingFleet(count: 4, version: "v1")
        defer { fleet.stop() }
        let file = try Self.project(
            fleet, rolling: "{ batch: 100%, precheck: none, verify: none, settle: 0s }")
        let load = LoadGenerator(port: fleet.frontendPort)
        try await Task.sleep(for: .milliseconds(300))
        let run = try await Lander.run(
            ["deploy", "-f", file, "-e", "prod", "--version", "v2", "--plain"], timeout: .seconds(120))
        try await Task.sleep(for: .milliseconds(300))
        let served = await load.stop()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(served.failed > 0, "the negative control dropped nothing, so the rolling test proves nothing")
    }

    @Test func aReleaseThatFailsVerifyHaltsAfterTheFirstBatchAndLeavesItOut() async throws {
        let fleet = try await RollingFleet(count: 4, version: "v1")
        defer { fleet.stop() }
        let file = try Self.project(fleet, rolling: "{ batch: 1, drain: \(Self.drain(fleet)), settle: 2s }")
        let load = LoadGenerator(port: fleet.frontendPort)
        try await Task.sleep(for: .milliseconds(300))
        // crash-2 answers its status once started, then dies a second later: settle and verify catch it.
        let run = try await Lander.run(
            ["deploy", "-f", file, "-e", "prod", "--version", "crash-2", "--json"], timeout: .seconds(120))
        let served = await load.stop()
        #expect(run.status == 1, "\(run.stderr)")
        let transitions = Self.transitions(run.stdout)
        let changed = transitions.filter { $0.value.contains("deploying") }.map(\.key)
        #expect(changed.count == 1, "only the first batch ran: \(transitions)")
        let first = try #require(changed.first)
        #expect(transitions[first]?.last == "left_out")
        #expect(run.stdout.contains("left out of the pool for inspection: \(first) (verify failed"), "\(run.stdout)")
        let states = try await fleet.states()
        for index in 0..<4 {
            let name = "t\(index + 1)"
            if name == first {
                #expect(states["s\(index + 1)"] == "MAINT", "the failed target stays out of the pool")
            } else {
                #expect(states["s\(index + 1)"]?.hasPrefix("UP") == true, "\(name) untouched: \(states)")
                #expect(await fleet.version(index) == "v1", "\(name) untouched")
                #expect(transitions[name] == ["skipped"], "\(name): \(transitions[name] ?? [])")
            }
        }
        #expect(served.failed == 0, "a bad release behind a drain costs no request: \(served.failures)")
    }

    @Test func aTargetWhosePrecheckFailsIsSkippedAndKeepsItsVersion() async throws {
        let fleet = try await RollingFleet(count: 4, version: "v1")
        defer { fleet.stop() }
        _ = FileManager.default.createFile(
            atPath: fleet.target(1).appendingPathComponent("unhealthy").path, contents: nil)
        for _ in 0..<100 where try await fleet.states()["s2"]?.hasPrefix("DOWN") != true {
            try await Task.sleep(for: .milliseconds(50))
        }
        let file = try Self.project(fleet, rolling: "{ batch: 2, drain: \(Self.drain(fleet)), settle: 0s }")
        let load = LoadGenerator(port: fleet.frontendPort)
        try await Task.sleep(for: .milliseconds(300))
        let run = try await Lander.run(
            ["deploy", "-f", file, "-e", "prod", "--version", "v2", "--json"], timeout: .seconds(120))
        let served = await load.stop()
        #expect(run.status == 0, "\(run.stderr)")
        let transitions = Self.transitions(run.stdout)
        #expect(transitions["t2"] == ["prechecking", "skipped"], "never drained, never changed")
        #expect(await fleet.version(1) == "v1")
        for index in [0, 2, 3] { #expect(await fleet.version(index) == "v2", "t\(index + 1)") }
        #expect(run.stdout.contains("precheck failed"), "the skip says why")
        #expect(Self.notUpdated(run.stdout) == ["t2": "skipped"], "the summary says t2 is not on v2")
        // The store keeps every transition: `lander show` lists them per target.
        let history = try await Lander.run(["history", "-f", file, "--json"])
        let records = try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]]
        let id = try #require(records?.first?["id"] as? String)
        let show = try await Lander.run(["show", id, "-f", file])
        #expect(show.stdout.contains("rollout: prechecking → skipped (precheck failed"), "\(show.stdout)")
        #expect(
            show.stdout.contains("rollout: prechecking → draining → deploying → verifying → in_pool"), "\(show.stdout)")
        #expect(served.failed == 0, "\(served.failures)")
    }

    @Test func moreMismatchedTargetsThanMaxStoppedFailTheDeployment() async throws {
        let fleet = try await RollingFleet(count: 4, version: "v1")
        defer { fleet.stop() }
        // The step restarts every backend on an old build: the fleet check finds four serving the wrong version.
        let file = try Self.project(
            fleet,
            rolling: "{ batch: 2, drain: \(Self.drain(fleet)), settle: 0s, max_stopped: 3, "
                + "verify_fleet: { hook: version-check, with: { path: /_version } } }",
            serves: "v1-stale")
        let run = try await Lander.run(
            ["deploy", "-f", file, "-e", "prod", "--version", "v2", "--json"], timeout: .seconds(120))
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.contains("more than max_stopped (3)"), "\(run.stdout)")
        let states = try await fleet.states()
        // Never more than max_stopped: the fourth mismatched target is left serving, so the pool is not empty.
        #expect(states.values.filter { $0 == "MAINT" }.count == 3, "max_stopped targets stopped: \(states)")
        #expect(states.values.filter { $0.hasPrefix("UP") }.count == 1, "one left serving: \(states)")
        let ends = Self.transitions(run.stdout).values.compactMap(\.last)
        #expect(ends.filter { $0 == "stopped" }.count == 3, "\(ends)")
        #expect(run.stdout.contains("Left serving: "), "\(run.stdout)")
        #expect(Self.notUpdated(run.stdout).count == 4, "the summary names all four")
        let show = try await Lander.run(["history", "-f", file, "--json"])
        #expect(show.stdout.contains("\"failed\""), "recorded as failed: \(show.stdout)")
    }
}
