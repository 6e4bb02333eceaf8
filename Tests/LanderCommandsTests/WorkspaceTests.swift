import Foundation
import LanderTesting
import Testing

/// A workspace of three projects sharing one store: master deploys payments and search and waits for each.
@Suite struct WorkspaceTests {
    /// The fixture workspace copied, master's `deploy:` of payments under `when`.
    static func workspace(when: String = "always", compensate: Bool = false) throws -> (Scratch, String) {
        let scratch = try Scratch()
        _ = try Fixture("workspace").copy(
            to: scratch.url.appendingPathComponent("shop"), ["WHEN": when, "COMPENSATE": "\(compensate)"])
        return (scratch, scratch.url.appendingPathComponent("shop").path)
    }

    static func deploy(_ root: String, _ project: String, version: String, environment: [String: String] = [:])
        async throws -> Lander.Run
    {
        try await Lander.run(
            ["deploy", "-f", "\(root)/\(project)/lander.yml", "-e", "test", "--version", version, "--plain"],
            environment: environment)
    }

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aParentDeploysItsChildrenAndWaitsAndHistoryLinksThem() async throws {
        let (_, root) = try Self.workspace()
        let run = try await Self.deploy(root, "master", version: "1.4.0")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(Self.read("\(root)/payments/targets/pay-1/VERSION") == "1.4.0")
        #expect(Self.read("\(root)/search/targets/s-1/VERSION") == "1.4.0")
        #expect(Self.read("\(root)/master/targets/ctl/done.txt") == "payments deployed 1.4.0")
        // The children's progress is in the parent's output.
        #expect(run.stdout.contains("payments: step 'migrate' succeeded"), "\(run.stdout)")
        // One store for the workspace, at its root: history of a member shows every member.
        #expect(FileManager.default.fileExists(atPath: "\(root)/.lander/state.db"))
        #expect(!FileManager.default.fileExists(atPath: "\(root)/master/.lander/state.db"))
        let history = try await Lander.run(["history", "-f", "\(root)/search/lander.yml", "--json"])
        let records = try StoreCommandsTests.ids(history.stdout)
        #expect(records.count == 3, "\(history.stdout)")
        let shown = try await Lander.run(["show", try #require(records.last?.id), "-f", "\(root)/master/lander.yml"])
        #expect(
            shown.stdout.contains("child") && shown.stdout.contains("payments 1.4.0 → test, succeeded"),
            "\(shown.stdout)")
        let child = try await Lander.run(["show", try #require(records.first?.id), "-f", "\(root)/master/lander.yml"])
        #expect(child.stdout.contains("parent   \(records.last?.id ?? "?")"), "\(child.stdout)")
        // `lander status` at the workspace root: the projects × environments grid.
        let status = try await Program.run(try Lander.executable.path, ["status"], directory: root)
        #expect(status.stdout.contains("workspace shop: 3 projects"), "\(status.stdout)")
        // The age is seconds, or on a loaded machine minutes.
        for project in ["payments", "search", "master"] {
            #expect(
                status.stdout.split(separator: "\n").contains {
                    $0.contains(project) && $0.contains("1.4.0 succeeded") && $0.contains(" ago")
                }, "\(status.stdout)")
        }
    }

    @Test(arguments: [
        ("not_current", ["1.0.0": true, "1.0.0 again": false, "0.9.0": true]),
        ("higher", ["1.0.0": true, "1.0.0 again": false, "0.9.0": false, "1.1.0": true]),
        ("not_deployed", ["1.0.0": true, "1.1.0": false]),
        ("always", ["1.0.0": true, "1.0.0 again": true]),
    ])
    func whenDecidesWhetherTheChildIsDeployed(_ when: String, _ expected: [String: Bool]) async throws {
        let (_, root) = try Self.workspace(when: when)
        let order = ["1.0.0", "1.0.0 again", "0.9.0", "1.1.0"].filter { expected[$0] != nil }
        for step in order {
            let version = String(step.split(separator: " ")[0])
            let run = try await Self.deploy(root, "master", version: version)
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let deployed = Self.read("\(root)/master/targets/ctl/done.txt")?.hasPrefix("payments deployed") == true
            #expect(deployed == expected[step], "when: \(when), \(step): \(run.stdout)")
            if !deployed { #expect(run.stdout.contains("payments: not deployed ("), "\(run.stdout)") }
        }
    }

    @Test func aFailingChildFailsTheParentsTaskWithItsIdAndError() async throws {
        let (_, root) = try Self.workspace()
        let run = try await Self.deploy(root, "master", version: "2.0", environment: ["SEARCH_EXIT": "7"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("search deployment 2") && run.stdout.contains("exited 7"), "\(run.stdout)")
        #expect(Self.read("\(root)/master/targets/ctl/done.txt") == nil, "the step after the failed child ran")
    }

    @Test func aFailedParentPutsBackWhatItsCompensableChildReplacedOnEveryTarget() async throws {
        let (_, root) = try Self.workspace(compensate: true)
        #expect(try await Self.deploy(root, "master", version: "1.0").status == 0)
        let run = try await Self.deploy(root, "master", version: "2.0", environment: ["SEARCH_EXIT": "7"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("compensating: payments back to 1.0 in test"), "\(run.stdout)")
        for target in ["pay-1", "pay-2"] {
            #expect(Self.read("\(root)/payments/targets/\(target)/VERSION") == "1.0", "\(target) kept 2.0")
        }
        let history = try await Lander.run(["history", "-f", "\(root)/payments/lander.yml", "--json"])
        let records = try StoreCommandsTests.ids(history.stdout).filter { $0.kind == "compensation" }
        #expect(records.count == 1 && records.first?.version == "1.0", "\(history.stdout)")
        let shown = try await Lander.run(["show", try #require(records.first?.id), "-f", "\(root)/master/lander.yml"])
        #expect(shown.stdout.contains("compensation for "), "\(shown.stdout)")
        #expect(shown.stdout.contains("parent   "), "\(shown.stdout)")
    }

    @Test func withoutCompensateAFailedParentLeavesItsChildrenAsTheyAre() async throws {
        let (_, root) = try Self.workspace()
        #expect(try await Self.deploy(root, "master", version: "1.0").status == 0)
        let run = try await Self.deploy(root, "master", version: "2.0", environment: ["SEARCH_EXIT": "7"])
        #expect(run.status == 1)
        #expect(!run.stdout.contains("compensating"), "\(run.stdout)")
        #expect(Self.read("\(root)/payments/targets/pay-1/VERSION") == "2.0")
    }

    @Test func luaDeploysAndWaitsThroughLanderDeployAndTryDeploy() async throws {
        let (_, root) = try Self.workspace()
        try """
        project: master
        plugins: [plugins]
        environments:
          test:
            targets:
              ctl: { root: targets/ctl, roles: [ctl] }
        steps:
          - { name: fan, on: ctl, template: fanout }
        """.write(toFile: "\(root)/master/lander.yml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(root)/master/plugins", withIntermediateDirectories: true)
        try #"""
        return lander.template { run = function(ctx)
          local paid = lander.deploy { project = "payments", version = ctx.release.version }
          local found, problem = lander.try_deploy { project = "search", version = ctx.release.version }
          local none, unknown = lander.try_deploy { project = "serch", version = "1" }
          ctx.target:run { "sh", "-c", "echo $1 $2 $3 > fan.txt", "-", paid.status .. ":" .. paid.version,
            tostring(found) .. ":" .. tostring(problem ~= nil and problem:find("exited 7") ~= nil),
            tostring(none) .. ":" .. tostring(unknown ~= nil and unknown:find("did you mean 'search'") ~= nil) }
        end }
        """#.write(toFile: "\(root)/master/plugins/fanout.lua", atomically: true, encoding: .utf8)
        let run = try await Self.deploy(root, "master", version: "5.0", environment: ["SEARCH_EXIT": "7"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(Self.read("\(root)/master/targets/ctl/fan.txt") == "deployed:5.0 nil:true nil:true")
        #expect(Self.read("\(root)/payments/targets/pay-1/VERSION") == "5.0")
    }

    /// Replaces master's steps.
    static func master(_ root: String, steps: String) throws {
        try """
        project: master
        environments:
          test:
            targets:
              ctl: { root: targets/ctl, roles: [ctl] }
        steps:
        \(steps)
        """.write(toFile: "\(root)/master/lander.yml", atomically: true, encoding: .utf8)
    }

    @Test func fromTakesTheReleaseAnEnvironmentRunsAndWaitFalseOnlyStartsTheChild() async throws {
        let (_, root) = try Self.workspace()
        #expect(try await Self.deploy(root, "payments", version: "1.4.0").status == 0)
        try Self.master(
            root,
            steps: """
                  - { name: pay, deploy: { project: payments, from: test } }
                  - { name: bg, deploy: { project: search, version: "9", wait: false } }
                  - { name: done, on: ctl, run: [sh, -c, "echo {{output.pay.version}} {{output.bg.status}} > done.txt"] }
                """)
        let run = try await Self.deploy(root, "master", version: "5.0")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(Self.read("\(root)/master/targets/ctl/done.txt") == "1.4.0 started")
        #expect(Self.read("\(root)/payments/targets/pay-1/VERSION") == "1.4.0")
        // The parent ended only after the child it did not wait for.
        #expect(Self.read("\(root)/search/targets/s-1/VERSION") == "9")
    }

    @Test func aChildOutlivingItsTimeoutIsCancelledAndFailsTheTask() async throws {
        let (_, root) = try Self.workspace()
        try Self.master(root, steps: "  - { name: pay, deploy: { project: payments, version: \"2\", timeout: 1s } }")
        let run = try await Self.deploy(root, "master", version: "2", environment: ["PAYMENTS_SLEEP": "30"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("deploying payments timed out after 1s and was cancelled"), "\(run.stdout)")
        let history = try await Lander.run(["history", "-f", "\(root)/payments/lander.yml", "--json"])
        #expect(try StoreCommandsTests.ids(history.stdout).first?.status == "cancelled", "\(history.stdout)")
    }

    @Test func cancellingTheParentCancelsItsChildAndLeavesNoProcess() async throws {
        let (_, root) = try Self.workspace()
        let parent = try StoreCommandsTests.start(
            ["deploy", "-f", "\(root)/master/lander.yml", "-e", "test", "--version", "3.0", "--plain"],
            environment: ["PAYMENTS_SLEEP": "60"])
        let pidFile = "\(root)/payments/targets/pay-1/migrate.pid"
        try await StoreCommandsTests.waitFor(pidFile)
        try await Task.sleep(for: .milliseconds(200))
        let pid = try #require(Int32(Self.read(pidFile) ?? ""))
        kill(parent.processIdentifier, SIGTERM)
        #expect(await waitForExit(parent) == 130)
        #expect(await isGone(pid), "the child's command outlived the cancelled parent")
        let history = try await Lander.run(["history", "-f", "\(root)/payments/lander.yml", "--json"])
        #expect(try StoreCommandsTests.ids(history.stdout).first?.status == "cancelled", "\(history.stdout)")
    }

    @Test func anUnknownProjectGetsADidYouMean() async throws {
        let (_, root) = try Self.workspace()
        let byName = try await Program.run(
            try Lander.executable.path, ["plan", "-p", "paymnts", "-e", "test", "--version", "1"],
            directory: root)
        #expect(byName.status == 64, "\(byName.stderr)")
        #expect(byName.stderr.contains("no project 'paymnts'") && byName.stderr.contains("did you mean 'payments'?"))
        let master = "\(root)/master/lander.yml"
        let text = try String(contentsOfFile: master, encoding: .utf8)
        try text.replacingOccurrences(of: "project: search,", with: "project: serch,").write(
            toFile: master, atomically: true, encoding: .utf8)
        let run = try await Self.deploy(root, "master", version: "1")
        #expect(run.status == 1)
        #expect(
            run.stdout.contains("no project 'serch'") && run.stdout.contains("did you mean 'search'?"), "\(run.stdout)")
    }

    @Test func aBrokenMemberIsNamedWithItsLineAndNothingIsDeployed() async throws {
        let (_, root) = try Self.workspace()
        try "project: search\nsteps:\n  - { name: index, on: app, run: [true], tiemout: 1s }\n".write(
            toFile: "\(root)/search/lander.yml", atomically: true, encoding: .utf8)
        let run = try await Self.deploy(root, "payments", version: "1")
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("search/lander.yml:3:"), "\(run.stderr)")
        #expect(run.stderr.contains("unknown key 'tiemout'"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/payments/targets/pay-1/VERSION"))
    }
}
