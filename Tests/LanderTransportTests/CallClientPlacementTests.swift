import Foundation
import LanderTesting
import LanderTransport
import Testing

/// The call client put on local targets while other targets' commands start: a client this process had
/// open for writing leaked, for an instant, into a concurrently spawned child, and running it then failed
/// with "Text file busy" (seen once in twenty callers in a full test run).
@Suite struct CallClientPlacementTests {
    @Test func aClientJustPutOnManyTargetsAtOnceRunsOnEveryOne() async throws {
        let scratch = try Scratch()
        let client = "#!/bin/sh\necho client-ran\n"
        let failures = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<400 {
                group.addTask {
                    let target = LocalTransport(
                        target: "t\(index)", root: scratch.url.appendingPathComponent("t\(index)").path,
                        environment: ProcessInfo.processInfo.environment)
                    let home = try await target.reachHome(HomeRequest(port: 1, client: client))
                    let result = try await target.run(
                        Command([home.bin + "/lander-call"]), options: RunOptions())
                    return result.succeeded && result.stdout == "client-ran\n" ? nil : "t\(index): \(result)"
                }
            }
            var failures: [String] = []
            for try await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
        #expect(failures.isEmpty, "\(failures)")
    }
}
