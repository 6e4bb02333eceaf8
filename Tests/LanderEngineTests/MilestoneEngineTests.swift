import Foundation
import LanderEngine
import Testing

/// Milestones as the engine reports them: `step:NAME` and a step's `milestone:` when it succeeds, and those
/// a template reports with `ctx.milestone`.
@Suite struct MilestoneEngineTests {
    /// One db target running `steps`, with a template `report` whose run is `run`.
    static func project(steps: String, report run: String) throws -> TestProject {
        try TestProject(
            yaml: """
                project: db
                environments:
                  test:
                    targets:
                      db-1: { roles: [db] }
                steps:
                \(steps)
                """,
            plugins: ["report.lua": "return lander.template { run = function(ctx) \(run) end }"])
    }

    @Test func stepsAndTemplatesReachMilestonesAndAFailedStepReachesNone() async throws {
        let project = try Self.project(
            steps: """
                  - { name: migrate, on: db, milestone: schema-ready, run: ["true"] }
                  - { name: index, on: db, template: report }
                  - { name: broken, on: db, milestone: never, run: ["false"] }
                """, report: #"ctx.milestone("indexed")"#)
        let run = try await project.deploy()
        #expect(run.report.outcome == .failed)
        let reached = run.events.compactMap { event -> String? in
            if case .milestone(let name, _) = event { name } else { nil }
        }
        #expect(reached == ["step:migrate", "schema-ready", "indexed", "step:index"], "\(reached)")
    }

    @Test func aMilestoneWithoutANameIsTheTemplatesError() async throws {
        let project = try Self.project(
            steps: "  - { name: index, on: db, template: report }", report: "ctx.milestone()")
        let run = try await project.deploy()
        #expect(run.report.outcome == .failed)
        #expect(run.report.error?.contains("ctx.milestone needs a name") == true, "\(run.report.error ?? "")")
    }
}
