import LanderEngine
import Testing

/// Deployment ids: a server queues hundreds in a second, each must get its own.
@Suite struct DeploymentIDTests {
    @Test func tenThousandIDsMadeAtOnceAreAllDifferent() {
        let ids = (0..<10_000).map { _ in Deployment.newID() }
        #expect(Set(ids).count == ids.count)
    }

    @Test func anIDIsTheUTCTimeAndAHexSuffix() throws {
        let id = Deployment.newID()
        let parts = id.split(separator: "-")
        try #require(parts.count == 3, "\(id)")
        #expect(parts[0].count == 8 && parts[1].count == 6 && parts[2].count == 8)
        #expect(parts[2].allSatisfy { $0.isHexDigit })
    }
}
