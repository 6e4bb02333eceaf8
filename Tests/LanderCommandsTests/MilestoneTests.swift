import Foundation
import LanderTesting
import Testing

/// `wait_for:` across `lander` processes: api waits for db's milestone `schema-ready` through the
/// workspace's store.
@Suite struct MilestoneTests {
    struct Workspace {
        let root: String
        var db: String { root + "/db/lander.yml" }
        var api: String { root + "/api/lander.yml" }
        func hold(_ name: String) throws {
            try "".write(toFile: "\(root)/hold-\(name)", atomically: true, encoding: .utf8)
        }
        func release(_ name: String) throws { try FileManager.default.removeItem(atPath: "\(root)/hold-\(name)") }
        func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: "\(root)/\(path)") }
    }

    static func workspace(onMissing: String = "fail") throws -> Workspace {
        let directory = try Scratch().url.appendingPathComponent("ws")
        try Fixture("milestones").copy(to: directory, ["MISSING": onMissing])
        return Workspace(root: directory.path)
    }

    static func deployAPI(_ workspace: Workspace) async throws -> Lander.Run {
        try await Lander.run(["deploy", "-f", workspace.api, "-e", "test", "--version", "1", "--plain"])
    }

    static func startDB(_ workspace: Workspace, environment: [String: String] = [:]) throws -> Process {
        try StoreCommandsTests.start(
            ["deploy", "-f", workspace.db, "-e", "test", "--version", "1", "--plain"], environment: environment)
    }

    @Test func aWaiterGoesOnWhenTheOtherProcessReachesTheMilestone() async throws {
        let workspace = try Self.workspace()
        try workspace.hold("prepare")
        try workspace.hold("tail")
        let db = try Self.startDB(workspace)
        try await Task.sleep(for: .milliseconds(500))
        let api = Task { try await Self.deployAPI(workspace) }
        try await Task.sleep(for: .milliseconds(700))
        #expect(!workspace.exists("api/targets/api-1/started"), "api went on before db reached the milestone")
        try workspace.release("prepare")
        let run = try await api.value
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("waiting for db deployment"), "\(run.stdout)")
        #expect(run.stdout.contains("db reached 'schema-ready'"), "\(run.stdout)")
        #expect(!workspace.exists("db/targets/db-1/done"), "api waited for db's end, not its milestone")
        try workspace.release("tail")
        #expect(await waitForExit(db) == 0)
    }

    @Test func aMilestoneAlreadyPassedOrNoDeploymentRunningGoesOnAtOnce() async throws {
        let workspace = try Self.workspace()
        let alone = try await Self.deployAPI(workspace)
        #expect(alone.status == 0, "\(alone.stdout)\(alone.stderr)")
        #expect(alone.stdout.contains("db is not being deployed there; going on without waiting"), "\(alone.stdout)")
        try workspace.hold("tail")
        let db = try Self.startDB(workspace)
        try await StoreCommandsTests.waitFor("\(workspace.root)/db/targets/db-1/migrated")
        try await Task.sleep(for: .milliseconds(300))
        let after = try await Self.deployAPI(workspace)
        #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
        #expect(after.stdout.contains("db had already reached 'schema-ready'"), "\(after.stdout)")
        try workspace.release("tail")
        #expect(await waitForExit(db) == 0)
    }

    @Test(arguments: ["fail", "continue"])
    func anotherDeploymentFailingBeforeTheMilestone(_ onMissing: String) async throws {
        let workspace = try Self.workspace(onMissing: onMissing)
        try workspace.hold("prepare")
        let db = try Self.startDB(workspace, environment: ["DB_FAIL": "4"])
        try await Task.sleep(for: .milliseconds(500))
        let api = Task { try await Self.deployAPI(workspace) }
        try await Task.sleep(for: .milliseconds(500))
        try workspace.release("prepare")
        let run = try await api.value
        #expect(await waitForExit(db) == 1)
        #expect(run.stdout.contains("before 'schema-ready'") && run.stdout.contains("exited 4"), "\(run.stdout)")
        if onMissing == "fail" {
            #expect(run.status == 1, "\(run.stdout)")
            #expect(!workspace.exists("api/targets/api-1/started"))
        } else {
            #expect(run.status == 0, "\(run.stdout)")
            #expect(workspace.exists("api/targets/api-1/started"))
        }
    }
}
