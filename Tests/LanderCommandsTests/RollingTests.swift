import Foundation
import Testing

/// Rolling deployments against a real HAProxy and real backends under load.
@Suite(.serialized) struct RollingTests {
    static let plugins = DeployCommandTests.repository.appendingPathComponent("Plugins").path

    /// A project whose `restart` step restarts each backend with the release's version.
    static func project(_ fleet: RollingFleet, rolling: String) throws -> String {
        var targets = ""
        for (index, port) in fleet.backendPorts.enumerated() {
            targets += """
                      t\(index + 1):
                        root: \(fleet.target(index).path)
                        roles: [app]
                        variables: { server: s\(index + 1), haproxy_server: s\(index + 1), port: "\(port)", base_url: "http://127.0.0.1:\(port)", status_url: "http://127.0.0.1:\(port)/_status" }

                """
        }
        let yaml = """
            project: shop
            plugins: [\(plugins)]
            environments:
              prod:
                targets:
            \(targets)
            steps:
              - name: restart
                on: app
                rolling: \(rolling)
                run: [\(RollingFleet.fixtures.appendingPathComponent("restart.sh").path), "{{server}}", "{{port}}", "{{release.version}}"]
            """
        let file = fleet.directory.appendingPathComponent("lander.yml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// The times each target entered each rollout state, from `--json` events.
    static func states(_ json: String) -> [String: [String: Date]] {
        var result: [String: [String: Date]] = [:]
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        for line in json.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["event"] as? String == "target_state", let target = object["target"] as? String,
                let state = object["state"] as? String, let time = object["time"] as? String,
                let date = formatter.date(from: time) ?? plain.date(from: time)
            else { continue }
            result[target, default: [:]][state] = date
        }
        return result
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
        let states = Self.states(run.stdout)
        let windows = states.values.compactMap { times -> (Date, Date)? in
            guard let start = times["draining"], let end = times["in_pool"] else { return nil }
            return (start, end)
        }.sorted { $0.0 < $1.0 }
        #expect(windows.count == 4)
        for (earlier, later) in zip(windows, windows.dropFirst()) {
            #expect(earlier.1 <= later.0, "two batches overlapped")
        }
        print("rolling: \(served.ok) requests served, \(served.failed) failed")
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
}
