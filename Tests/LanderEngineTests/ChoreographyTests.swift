import Foundation
import LanderEngine
import Testing

/// Seed 000: X on role A, Y on role B, Z back on A, with state and an open resource carried from X to Z.
@Suite struct ChoreographyTests {
    @Test func yStartsAfterXFinishedEverywhereAndZAfterY() async throws {
        let run = try await TestProject(fixture: "choreography").deploy()
        #expect(run.report.outcome == .succeeded)
        let x = run.report.records(ofStep: "x")
        let y = run.report.records(ofStep: "y")
        let z = run.report.records(ofStep: "z")
        #expect(x.count == 3 && y.count == 2 && z.count == 3)
        let lastX = try #require(x.map(\.finished).max())
        let lastY = try #require(y.map(\.finished).max())
        #expect(y.allSatisfy { $0.started >= lastX })
        #expect(z.allSatisfy { $0.started >= lastY })
        // The targets of one task run at once: every start comes before any end.
        #expect(try #require(x.map(\.started).max()) < (try #require(x.map(\.finished).min())))
    }

    @Test func outputsOfXReachZOnTheSameTarget() async throws {
        let project = try TestProject(fixture: "choreography")
        let run = try await project.deploy()
        #expect(run.report.outcome == .succeeded)
        var seen: Set<String> = []
        for target in ["a-1", "a-2", "a-3"] {
            let handed = try #require(project.read(".lander/targets/test/\(target)/handed-over"))
            #expect(handed.hasPrefix("token-\(target)-"), "Z on \(target) read \(handed)")
            seen.insert(handed)
        }
        #expect(seen.count == 3)
    }

    @Test func theSameProjectDeploysToTwoEnvironmentsWithTheirOwnTargets() async throws {
        let project = try TestProject(fixture: "choreography")
        let test = try await project.deploy("test")
        let production = try await project.deploy("production")
        #expect(test.report.outcome == .succeeded && production.report.outcome == .succeeded)
        #expect(Set(test.report.records(ofStep: "z").map(\.target)) == ["a-1", "a-2", "a-3"])
        #expect(Set(production.report.records(ofStep: "z").map(\.target)) == ["a-01", "a-02", "a-03", "a-04"])
        #expect(project.read("prod/a-04/handed-over")?.hasPrefix("token-a-04-") == true)
        #expect(project.read("prod/b-1/migrated") == "migrated\n")
        #expect(project.read(".lander/targets/test/a-04/handed-over") == nil)
    }

    @Test func theQuickstartHandsItsReleaseDirAndSessionFromStageToActivate() async throws {
        let project = try TestProject(example: "quickstart")
        let run = try await project.deploy(version: "2.1.0")
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        for target in ["web-1", "web-2"] {
            let root = project.path(".lander/targets/test/\(target)")
            let current = try FileManager.default.destinationOfSymbolicLink(atPath: root + "/current")
            #expect(current == root + "/releases/2.1.0")
            #expect(project.read(".lander/targets/test/\(target)/releases/2.1.0/VERSION") == "2.1.0\n")
            #expect(project.read(".lander/targets/test/\(target)/frontend.txt") == "built 2.1.0\n")
        }
        #expect(project.read(".lander/targets/test/db-1/schema.txt") == "schema 2.1.0\n")
        #expect(project.read(".lander/notifications.log")?.contains("shop 2.1.0 to test: succeeded") == true)
    }

    @Test func aSessionStaysOpenFromXThroughZAndIsClosedAfter() async throws {
        let project = try TestProject(
            yaml: """
                project: sessions
                environments:
                  test:
                    targets:
                      a-[1:2]: { roles: [a] }
                      b-1: { roles: [b] }
                steps:
                  - { name: x, on: a, template: open-session }
                  - { name: y, on: b, run: [sleep, "0.2"] }
                  - { name: z, on: a, template: check-session }
                """,
            plugins: [
                "open-session.lua": """
                return lander.template { run = function(ctx)
                  local s = ctx.target:spawn({ "sleep", "600" }, { name = "holder" })
                  ctx.output.pid = s.pid
                end }
                """,
                "check-session.lua": """
                return lander.template { run = function(ctx)
                  local s = ctx.target:session("holder")
                  assert(s and s.running, "holder is not running on " .. ctx.target.name)
                  assert(s.pid == ctx.outputs.x.pid, "another process")
                  lander.log.info("alive " .. s.pid)
                end }
                """,
            ])
        let run = try await project.deploy()
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        let pids = run.logs.compactMap { $0.hasPrefix("alive ") ? Int32($0.dropFirst(6)) : nil }
        #expect(pids.count == 2)
        for pid in pids { #expect(await waitUntilGone(pid), "session process \(pid) outlived the deployment") }
    }
}
