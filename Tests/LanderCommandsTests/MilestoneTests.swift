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

    /// Starts db's deployment and returns once it runs its `prepare` step.
    static func startDB(_ workspace: Workspace, environment: [String: String] = [:]) async throws -> Process {
        let db = try StoreCommandsTests.start(
            ["deploy", "-f", workspace.db, "-e", "test", "--version", "1", "--plain"], environment: environment)
        try await StoreCommandsTests.waitFor("\(workspace.root)/db/targets/db-1/preparing")
        return db
    }

    /// Starts api's deployment, its output to `api.out`, and returns once it says it waits for db.
    static func startWaitingAPI(_ workspace: Workspace) async throws -> Process {
        let output = "\(workspace.root)/api.out"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = try Lander.executable
        process.arguments = ["deploy", "-f", workspace.api, "-e", "test", "--version", "1", "--plain"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<3000 {
            if (try? String(contentsOfFile: output, encoding: .utf8))?.contains("waiting for db deployment") == true {
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process
    }

    static func output(_ workspace: Workspace) -> String {
        (try? String(contentsOfFile: "\(workspace.root)/api.out", encoding: .utf8)) ?? ""
    }

    @Test func aWaiterGoesOnWhenTheOtherProcessReachesTheMilestone() async throws {
        let workspace = try Self.workspace()
        try workspace.hold("prepare")
        try workspace.hold("tail")
        let db = try await Self.startDB(workspace)
        let api = try await Self.startWaitingAPI(workspace)
        try await Task.sleep(for: .milliseconds(300))
        #expect(!workspace.exists("api/targets/api-1/started"), "api went on before db reached the milestone")
        // The workspace's grid shows both: db in its step, api waiting for db's milestone.
        let status = try await Program.run(try Lander.executable.path, ["status"], directory: workspace.root)
        let rows = status.stdout.split(separator: "\n").map(String.init)
        #expect(rows.contains { $0.contains("db") && $0.contains("running 1 (step prepare)") }, "\(status.stdout)")
        #expect(
            rows.contains {
                $0.contains("api") && $0.contains("running 1 (step schema, waits for db deployment ")
                    && $0.contains("to reach 'schema-ready')")
            }, "\(status.stdout)")
        try workspace.release("prepare")
        #expect(await waitForExit(api) == 0, Comment(rawValue: Self.output(workspace)))
        #expect(Self.output(workspace).contains("db reached 'schema-ready'"), Comment(rawValue: Self.output(workspace)))
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
        let db = try await Self.startDB(workspace)
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
        let db = try await Self.startDB(workspace, environment: ["DB_FAIL": "4"])
        let api = try await Self.startWaitingAPI(workspace)
        try workspace.release("prepare")
        let status = await waitForExit(api)
        #expect(await waitForExit(db) == 1)
        let out = Self.output(workspace)
        #expect(out.contains("before 'schema-ready'") && out.contains("exited 4"), Comment(rawValue: out))
        if onMissing == "fail" {
            #expect(status == 1, Comment(rawValue: out))
            #expect(!workspace.exists("api/targets/api-1/started"))
        } else {
            #expect(status == 0, Comment(rawValue: out))
            #expect(workspace.exists("api/targets/api-1/started"))
        }
    }
}
