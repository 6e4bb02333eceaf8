import Foundation
import LanderTesting
import Testing

/// The test helpers' own process start: a helper that lives for minutes (HAProxy, an SMTP or webhook
/// listener) must hold none of the test process's other descriptors. One that held the write end of a
/// pipe another test was reading kept that reader waiting forever, on a thread of the cooperative pool,
/// and with a second thread busy the whole suite stopped.
@Suite struct HelperSpawnTests {
    @Test func aHelperKeepsOnlyTheStandardDescriptors() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        let inode = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(ends[1])")
        let pid = try spawnHelper(["/bin/sleep", "30"])
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        let numbers = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap { Int32($0) }
        let held = numbers.filter { $0 > 2 }.compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")
        }
        #expect(!held.contains(inode), "the helper holds the test's pipe \(inode): \(held)")
        #expect(!held.contains { $0.hasPrefix("pipe:") || $0.hasPrefix("socket:") }, "\(held)")
    }
}
