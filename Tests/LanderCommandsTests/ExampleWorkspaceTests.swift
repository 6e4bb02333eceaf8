import Foundation
import LanderTesting
import Testing

/// The two example workspaces of seed 002, run as a user would: the master project (with compensation)
/// and the cooperating pair (the `ensure-deployed` and `wait-for` plugins).
@Suite struct ExampleWorkspaceTests {
    /// A copy of `examples/NAME` whose workspace finds the repository's plugins.
    static func example(_ name: String) throws -> String {
        let directory = try Scratch().url.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Repository.root.appendingPathComponent("examples/\(name)"), to: directory)
        let file = directory.appendingPathComponent("lander-workspace.yml").path
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "../../Plugins", with: Repository.plugins.path).write(
            toFile: file, atomically: true, encoding: .utf8)
        return directory.path
    }

    static func deploy(_ file: String, _ version: String, environment: [String: String] = [:]) async throws
        -> Lander.Run
    {
        try await Lander.run(
            ["deploy", "-f", file, "-e", "test", "--version", version, "--plain"], environment: environment)
    }

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func theMasterProjectPutsBackAAndBWhenCFails() async throws {
        let root = try Self.example("master-project")
        #expect(try await Self.deploy("\(root)/master/lander.yml", "1.0").status == 0)
        let failed = try await Self.deploy("\(root)/master/lander.yml", "2.0", environment: ["C_FAIL": "1"])
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        for (project, target) in [("a", "a-1"), ("a", "a-2"), ("b", "b-1"), ("b", "b-2")] {
            #expect(Self.read("\(root)/\(project)/.lander/targets/test/\(target)/VERSION") == "1.0", "\(target)")
        }
        #expect(Self.read("\(root)/c/.lander/targets/test/c-1/VERSION") == "2.0")
        let outbox = Self.read("\(root)/master/outbox.log") ?? ""
        #expect(outbox.contains("a 2.0 and b 2.0 are out") && outbox.contains("failed"), "\(outbox)")
    }

    @Test func theCooperatingPairEnsuresBAndWaitsForItsStep() async throws {
        let root = try Self.example("cooperating")
        let first = try await Self.deploy("\(root)/a/lander.yml", "1.0")
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("ensure-deployed: deployed b 1.0"), "\(first.stdout)")
        #expect(Self.read("\(root)/b/.lander/targets/test/b-1/VERSION") == "1.0")
        // b's fetch holds while the file `hold` exists (instead of the example's sleep), so a finds it running.
        let hold = "\(root)/hold"
        try "".write(toFile: hold, atomically: true, encoding: .utf8)
        let bFile = "\(root)/b/lander.yml"
        try String(contentsOfFile: bFile, encoding: .utf8).replacingOccurrences(
            of: "sleep ${B_SLOW:-0}; echo fetched", with: "while [ -f \(hold) ]; do sleep 0.05; done; echo fetched"
        ).write(toFile: bFile, atomically: true, encoding: .utf8)
        let b = try StoreCommandsTests.start(["deploy", "-f", bFile, "-e", "test", "--version", "1.1", "--plain"])
        for _ in 0..<1500 {
            let history = try await Lander.run(["history", "-f", bFile, "--json"])
            if try StoreCommandsTests.ids(history.stdout).first?.status == "running" { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let output = "\(root)/a.out"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let a = Process()
        a.executableURL = try Lander.executable
        a.arguments = ["deploy", "-f", "\(root)/a/lander.yml", "-e", "test", "--version", "1.1", "--plain"]
        a.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        a.standardError = FileHandle.nullDevice
        try a.run()
        for _ in 0..<3000 where !(Self.read(output) ?? "").contains("waiting for b deployment") {
            try await Task.sleep(for: .milliseconds(10))
        }
        try FileManager.default.removeItem(atPath: hold)
        let status = await waitForExit(a)
        let said = Self.read(output) ?? ""
        #expect(status == 0, Comment(rawValue: said))
        #expect(said.contains("ensure-deployed: b is there already"), Comment(rawValue: said))
        #expect(said.contains("b reached 'step:serve'"), Comment(rawValue: said))
        #expect(Self.read("\(root)/b/.lander/targets/test/b-1/VERSION") == "1.1", "a went on before b served")
        #expect(await waitForExit(b) == 0)
    }
}
