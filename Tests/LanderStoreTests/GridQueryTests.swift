import Foundation
import LanderModel
import LanderTesting
import Testing

@testable import LanderStore

/// The status grid's queries: the newest and current deployment of every project and environment at once,
/// agreeing with the one-at-a-time queries, phone-home jobs left out.
@Suite(.serialized, .onWaitingThreads) struct GridQueryTests {
    @Test(arguments: StoreKind.allCases)
    func newestAndCurrentPerCellAgreeWithTheQueriesOneCellAtATime(kind: StoreKind) async throws {
        let store = try await kind.open()
        var serial = 0
        func deploy(
            _ project: String, _ environment: String, _ version: String, status: String, kind: String = "deploy"
        )
            throws
        {
            serial += 1
            let id = "d\(serial)"
            try store.begin(
                NewDeployment(
                    id: id, kind: kind, project: project, environment: environment, version: version, variables: [:],
                    projectFile: "/nowhere/lander.yml", pluginPath: []))
            try store.raw("UPDATE deployment SET status = '\(status)', started_at = \(serial) WHERE id = '\(id)'")
        }
        try deploy("a", "test", "1", status: "succeeded")
        try deploy("a", "test", "2", status: "failed")
        try deploy("a", "test", "2", status: "succeeded", kind: "job")
        try deploy("a", "prod", "1", status: "succeeded")
        try deploy("b", "test", "3", status: "succeeded")
        try deploy("b", "test", "4", status: "succeeded", kind: "rollback")
        let newest = try store.newestDeployments()
        let current = try store.currentDeployments()
        for (project, environment) in [("a", "test"), ("a", "prod"), ("b", "test")] {
            let key = StateStore.cell(project, environment)
            let one = try store.deployments(project: project, environment: environment, limit: 1, releasesOnly: true)
            #expect(newest[key]?.id == one.first?.id, "\(project)/\(environment)")
            #expect(current[key]?.id == (try store.current(project: project, environment: environment))?.id)
        }
        #expect(
            newest[StateStore.cell("a", "test")]?.version == "2"
                && newest[StateStore.cell("a", "test")]?.kind == "deploy")
        #expect(current[StateStore.cell("a", "test")]?.version == "1", "the job's success is no release")
        #expect(current[StateStore.cell("b", "test")]?.kind == "rollback")
        #expect(newest.count == 3 && current.count == 3)
    }
}

/// The store's generation: what the server keeps of a read is served again only while it stays the same.
@Suite(.serialized, .onWaitingThreads) struct StoreGenerationTests {
    @Test(arguments: StoreKind.allCases)
    func theGenerationMovesWithEveryCommitOfAnyConnectionAndOnlyThen(kind: StoreKind) async throws {
        let path = try await kind.location()
        let store = try StateStore.open(at: path)
        let first = try #require(store.generation())
        _ = try store.deployments()
        #expect(store.generation() == first, "a read is no change")
        try store.begin(
            NewDeployment(
                id: "d1", kind: "deploy", project: "a", environment: "test", version: "1", variables: [:],
                projectFile: "/nowhere/lander.yml", pluginPath: []))
        let afterOwn = try #require(store.generation())
        #expect(afterOwn != first, "this store's own write")
        try StateStore.open(at: path).raw("UPDATE deployment SET status = 'failed' WHERE id = 'd1'")
        #expect(store.generation() != afterOwn, "another connection's write")
    }
}
