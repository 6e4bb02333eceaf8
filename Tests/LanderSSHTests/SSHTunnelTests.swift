import Foundation
import LanderEngine
import LanderModel
import Testing

/// The `ssh-tunnel` plugin: targets reachable only through ports a bastion forwards, opened in
/// `pre_upload` before packages go out, closed in `finally`.
@Suite struct SSHTunnelTests {
    /// A port on 127.0.0.1 nothing listens on (for the tunnel to take).
    static func freePort() throws -> Int {
        let held = try HeldPort()
        held.release()
        return held.port
    }

    /// Whether something accepts connections on a local port.
    static func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    static func yaml(_ targets: SSHTargets, forwarded: [Int], tunnel: Bool) -> String {
        let servers = targets.targets.prefix(2)
        let entries = zip(servers, forwarded).map { target, local in
            "      \(target.name): { ssh: { host: 127.0.0.1, port: \(local), config: CONFIG, options: "
                + "{ HostKeyAlias: \"[127.0.0.1]:\(target.port)\" } }, root: \(target.root), roles: [a] }"
        }.joined(separator: "\n")
        let forwards = zip(servers, forwarded).map { "\"\($1):127.0.0.1:\($0.port)\"" }.joined(separator: ", ")
        let hooks = """
            hooks:
              pre_upload: [{ hook: ssh-tunnel, with: { bastion: t3, config: CONFIG, forwards: [\(forwards)] } }]
              finally: [{ hook: ssh-tunnel }]
            """
        return """
            project: shop
            packages:
              - { id: app, feed: feed }
            \(tunnel ? hooks : "")
            environments:
              test:
                targets:
            \(entries)
            steps:
              - { name: read, on: a, run: [sh, -c, "cat packages/app/README > seen"] }
            """
    }

    @Test func packagesReachTargetsThroughTheTunnelWhichClosesAtTheEnd() async throws {
        let targets = try await SSHTargets.start(3)  // t1, t2 behind the bastion t3
        let directory = targets.directory.appendingPathComponent("project")
        let package = try await SSHPackageTests.feed(in: directory, readme: "through the tunnel\n")
        let forwarded = [try Self.freePort(), try Self.freePort()]

        // Without the tunnel the forwarded ports lead nowhere: nothing is sent, no step runs.
        let (unreachable, _) = try await SSHDeploymentTests.deploy(
            Self.yaml(targets, forwarded: forwarded, tunnel: false), targets: targets, packages: [package],
            directory: directory)
        #expect(unreachable.outcome == .failed)
        #expect(
            unreachable.error?.contains("packages were not distributed to 2 target(s), so no step ran") == true,
            "\(unreachable.error ?? "")")
        #expect(unreachable.records.isEmpty)

        let (report, _) = try await SSHDeploymentTests.deploy(
            Self.yaml(targets, forwarded: forwarded, tunnel: true), targets: targets, packages: [package],
            directory: directory)
        #expect(report.outcome == .succeeded, "\(report.error ?? "")")
        for target in targets.targets.prefix(2) {
            #expect(
                (try? String(contentsOfFile: target.root + "/seen", encoding: .utf8)) == "through the tunnel\n",
                "\(target.name)")
        }
        for port in forwarded { #expect(!Self.listening(port), "the tunnel's port \(port) is still open") }
    }
}
