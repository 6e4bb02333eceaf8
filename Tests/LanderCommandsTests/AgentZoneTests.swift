import Foundation
import LanderTesting
import Testing

/// Whether this machine can make network namespaces (root, iproute2, a kernel that allows it).
enum Namespaces {
    static let available: Bool = {
        let name = "lzp\(getpid())"
        let made = runToEnd(["/usr/sbin/ip", "netns", "add", name]) == 0
        if made { _ = runToEnd(["/usr/sbin/ip", "netns", "del", name]) }
        return made
    }()

}

extension AgentTests {
    /// The security zone: agents in a network namespace the test makes, from which only the server's
    /// address is reachable (one /30 route to this machine's end of a veth pair) and in which nothing
    /// listens, so the server cannot connect in; the agents dial out to the server over HTTPS.
    @Test(
        .enabled(
            if: Namespaces.available,
            "network namespaces cannot be made here (not root, or no iproute2); the loopback variant runs instead"))
    func theChoreographyRunsThroughAgentsInAZoneWithNoWayIn() async throws {
        let work = try Scratch().url
        let made = try await Program.run(
            Repository.root.appendingPathComponent("Scripts/agent-zone").path, ["start", work.path])
        try #require(made.status == 0, "\(made.stderr)")
        defer {
            _ = runToEnd([Repository.root.appendingPathComponent("Scripts/agent-zone").path, "stop", work.path])
        }
        let fields = try String(contentsOf: work.appendingPathComponent("zone"), encoding: .utf8).split(separator: " ")
        let (namespace, host) = (String(fields[0]), String(fields[1]))
        let cert = work.appendingPathComponent("cert.pem").path
        let key = work.appendingPathComponent("key.pem").path
        let openssl = try await Program.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                "-out", cert, "-days", "1", "-subj", "/CN=lander.zone", "-addext",
                "subjectAltName=DNS:lander.zone,IP:\(host)",
            ])
        try #require(openssl.status == 0, "\(openssl.stderr)")
        let zone = try await Zone(
            serverArguments: ["--listen", "\(host):0", "--tls-cert", cert, "--tls-key", key],
            zone: (namespace, cert))
        try zone.package("2.0.0")
        let view = try await zone.deploy("billing", "production", "2.0.0")
        let logs = try await zone.logs(view)
        #expect(view["state"] as? String == "succeeded", "\(logs)")
        for (agent, target) in [("edge-1", "a-1"), ("edge-2", "a-2")] {
            #expect(
                zone.onAgent(agent, target, "transfer.txt") == "transferred app 2.0.0 through rule-production-b-1\n",
                "\(zone.agents[agent]?.text ?? "")")
            #expect(zone.onAgent(agent, target, "session.state") == "closed\n")
        }
        // The zone's only way out is this machine's end of the pair, and nothing in it takes a connection.
        let routes = try await Program.run("/usr/sbin/ip", ["netns", "exec", namespace, "ip", "-4", "route"])
        #expect(
            !routes.stdout.contains("default") && routes.stdout.split(separator: "\n").count == 1, "\(routes.stdout)")
        let listening = try await Program.run("/usr/sbin/ip", ["netns", "exec", namespace, "ss", "-ltnH"])
        #expect(listening.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(listening.stdout)")
        let loopback = try await Program.run(
            "/usr/sbin/ip",
            ["netns", "exec", namespace, "curl", "-s", "-m", "3", "http://127.0.0.1:\(zone.server.port)/"])
        #expect(loopback.status != 0, "this machine's loopback is out of the zone's reach")
    }
}
