import Foundation
import Testing

/// Spec tests of `Plugins/haproxy` against a real HAProxy (serialized with the other rolling tests).
extension RollingTests {
    /// A project rolling `restart` over the given targets (name, backend index, more variables) of a fleet; the
    /// step restarts each one's backend serving `serves`.
    static func haproxyProject(
        _ fleet: RollingFleet, rolling: String, targets: [(String, Int, String)],
        serves: String = "{{release.version}}", run: String? = nil
    ) throws -> String {
        let list = targets.map { name, index, variables in
            "      \(name): { root: \(fleet.target(index).path), roles: [app], variables: "
                + "{ port: \"\(fleet.backendPorts[index])\", server: s\(index + 1)\(variables) } }"
        }
        let yaml = """
            project: shop
            plugins: [\(plugins)]
            environments:
              prod:
                targets:
            \(list.joined(separator: "\n"))
            steps:
              - name: restart
                on: app
                rolling: \(rolling)
                run: \(run ?? "[\(RollingFleet.fixtures.appendingPathComponent("restart.sh").path), \"{{server}}\", \"{{port}}\", \"\(serves)\"]")
            """
        let file = fleet.directory.appendingPathComponent("lander.yml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test func haproxyDrainLetsARequestInFlightFinish() async throws {
        let fleet = try await RollingFleet(count: 1, version: "v1")
        defer { fleet.stop() }
        let target = [("s1", 0, "")]  // mapped to its server by its name
        for (drain, version) in [(Self.drain(fleet), "v2"), ("none", "v3")] {
            let file = try Self.haproxyProject(
                fleet, rolling: "{ drain: \(drain), precheck: none, verify: none, settle: 0s }", targets: target)
            let slow = Task { try? await RollingFleet.get(port: fleet.frontendPort, path: "/slow?s=1.5") }
            try await Task.sleep(for: .milliseconds(300))
            let run = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--version", version, "--plain"])
            #expect(run.status == 0, "\(run.stderr)")
            let reply = await slow.value
            if drain == "none" {
                // The control: the same restart without a drain cuts the request.
                #expect(reply?.status != 200, "without a drain the request in flight should have been cut")
            } else {
                #expect(
                    reply?.status == 200, "the drain waited for the request in flight: \(String(describing: reply))")
                #expect(reply?.body == "slow s1 v1\n")
            }
            #expect(await fleet.version(0) == version)
        }
    }

    @Test func haproxyDrainThatTimesOutLeavesTheServerOutAndUnchanged() async throws {
        let fleet = try await RollingFleet(count: 1, version: "v1")
        defer { fleet.stop() }
        let file = try Self.haproxyProject(
            fleet,
            rolling: "{ drain: \(Self.drain(fleet)), drain_timeout: 500ms, precheck: none, verify: none, settle: 0s }",
            targets: [("app-1", 0, ", haproxy_server: s1")])
        let slow = Task { try? await RollingFleet.get(port: fleet.frontendPort, path: "/slow?s=3") }
        try await Task.sleep(for: .milliseconds(300))
        let run = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--version", "v2", "--plain"])
        #expect(run.status == 1)
        #expect(
            run.stderr.contains("left out of the pool for inspection: app-1 (drain failed: haproxy/init.lua:")
                && run.stderr.contains("haproxy: sessions of s1 did not drain within 0.5s)"),
            "\(run.stdout)\(run.stderr)")
        #expect(try await fleet.states()["s1"] == "DRAIN", "left draining for inspection")
        #expect(await fleet.version(0) == "v1", "never restarted")
        #expect(await slow.value?.status == 200)
    }

    @Test func haproxyOverTCPAndAServerItDoesNotKnow() async throws {
        let fleet = try await RollingFleet(count: 2, version: "v1")
        defer { fleet.stop() }
        let tcp = "{ hook: haproxy, with: { host: 127.0.0.1, port: \(fleet.adminPort), backend: be } }"
        let file = try Self.haproxyProject(
            fleet, rolling: "{ drain: \(tcp), precheck: none, verify: none, settle: 0s }",
            targets: [("web-1", 0, ", haproxy_server: s1"), ("web-2", 1, ", haproxy_server: ghost")])
        let run = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--version", "v2", "--plain"])
        #expect(run.status == 1)
        #expect(
            run.stderr.contains("web-2 (drain failed: haproxy/init.lua:")
                && run.stderr.contains("haproxy: `set server be/ghost state drain`: No such server."),
            "\(run.stdout)\(run.stderr)")
        #expect(await fleet.version(0) == "v2", "web-1 went through the TCP runtime API")
        let states = try await fleet.states()
        #expect(states["s1"]?.hasPrefix("UP") == true && states["s2"]?.hasPrefix("UP") == true, "\(states)")
        #expect(await fleet.version(1) == "v1")
    }
}
