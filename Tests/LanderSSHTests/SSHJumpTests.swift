import Foundation
import LanderModel
import LanderTransport
import Testing

@Suite struct SSHJumpTests {
    @Test func aTargetBehindAJumpHostIsReachedThroughIt() async throws {
        let targets = try await SSHTargets.start(2)
        // t1 is reached through t2 (ProxyJump), as a machine in another security zone would be.
        let endpoint = SSHEndpoint(destination: "t1", jump: "t2", configFile: targets.config)
        let connection = SSHConnection(
            target: "t1", endpoint: endpoint, root: targets.targets[0].root,
            localEnvironment: ProcessInfo.processInfo.environment,
            controlPath: "/tmp/lander-jump-\(UUID().uuidString.prefix(8))")
        let result = try await connection.run(
            Command(["sh", "-c", "echo behind the bastion > note; cat note"]), options: RunOptions())
        _ = try await connection.run(Command(["true"]), options: RunOptions())
        await connection.close()
        #expect(result.stdout == "behind the bastion\n", "\(result.stderr)")
        #expect(targets.connectionsAccepted("t2") == 1)
        #expect(targets.connectionsAccepted("t1") == 1)
    }
}
