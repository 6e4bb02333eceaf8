import LanderModel
import Testing

@testable import LanderLoading

/// `jobs:`: what targets may ask for while a deployment runs (phone home), and every mistake in it.
@Suite struct JobLoadingTests {
    static let environments = """
        project: billing
        environments:
          test:
            targets:
              a-1: { roles: [cluster-a] }
              b-1: { roles: [cluster-b] }

        """

    @Test func stepJobsAndProjectJobsLoadWithCallersAndLimits() throws {
        let project = try ProjectLoader.load(
            yaml: Self.environments + """
                jobs:
                  open-firewall:
                    callers: [cluster-a]
                    variables: { cluster: none }
                    per_call: true
                    timeout: 2m
                    steps:
                      - { name: allow, on: cluster-b, run: [true] }
                  reindex:
                    callers: [cluster-a, cluster-b]
                    deploy: { project: search, from: test }
                steps:
                  - { name: x, on: cluster-a, run: [lander-call, open-firewall] }
                """, file: "lander.yml")
        let open = try #require(project.job(named: "open-firewall"))
        #expect(open.callers == ["cluster-a"] && open.perCall && open.timeout == .seconds(120))
        #expect(open.variables["cluster"] == .string("none") && open.roles == ["cluster-b"])
        let reindex = try #require(project.job(named: "reindex"))
        guard case .project(let request) = reindex.work else {
            Issue.record("not a project job")
            return
        }
        #expect(request.project == "search" && request.source == .from(environment: "test"))
        #expect(reindex.timeout == Job.defaultTimeout && !reindex.perCall)
        #expect(project.jobs(callableBy: ["cluster-a"]) == ["open-firewall", "reindex"])
        #expect(project.jobs(callableBy: ["cluster-b"]) == ["reindex"])
        #expect(project.jobs(callableBy: ["web"]).isEmpty)
    }

    @Test func jobMistakesAreReportedWithTheirLines() {
        let found = problems(
            Self.environments + """
                jobs:
                  no-callers:
                    steps: [{ name: s, on: cluster-b, run: [true] }]
                  both:
                    callers: [cluster-a]
                    steps: [{ name: s, on: cluster-b, run: [true] }]
                    deploy: { project: search, version: "1" }
                  nothing:
                    callers: [cluster-a]
                  "bad name":
                    callers: [cluster-a]
                    steps: [{ name: s, on: cluster-b, run: [true] }]
                  stranger:
                    callers: [cluster-c]
                    steps: [{ name: s, on: cluster-d, run: [true] }]
                  elsewhere:
                    callers: [cluster-a]
                    deploy: { project: search, version: "1", environment: production }
                  typo:
                    callers: [cluster-a]
                    per_cal: true
                    steps: [{ name: s, on: cluster-b, run: [true] }]
                steps:
                  - { name: x, on: cluster-a, run: [true] }
                """)
        #expect(
            found.contains { $0.hasPrefix("lander.yml:9:") && $0.contains("job 'no-callers' names no callers") },
            "\(found)")
        #expect(found.contains { $0.hasPrefix("lander.yml:11:") && $0.contains("has both steps: and deploy:") })
        #expect(found.contains { $0.hasPrefix("lander.yml:15:") && $0.contains("job 'nothing' does nothing") })
        #expect(found.contains { $0.hasPrefix("lander.yml:17:") && $0.contains("'bad name' is not a plain word") })
        #expect(found.contains { $0.contains("unknown caller role 'cluster-c'") && $0.contains("cluster-a") })
        #expect(found.contains { $0.contains("unknown role 'cluster-d' in step 's' of job 'stranger'") })
        #expect(found.contains { $0.hasPrefix("lander.yml:24:") && $0.contains("drop environment:") })
        #expect(found.contains { $0.hasPrefix("lander.yml:27:") && $0.contains("unknown key 'per_cal'") })
    }

    @Test func aProjectJobNamingNoMemberOfTheWorkspaceIsReported() throws {
        let project = try ProjectLoader.load(
            yaml: Self.environments + """
                jobs:
                  reindex:
                    callers: [cluster-a]
                    deploy: { project: serach, version: "1" }
                steps:
                  - { name: x, on: cluster-a, run: [true] }
                """, file: "lander.yml")
        let workspace = Workspace(
            name: "w", file: "/w/lander-workspace.yml", root: "/w",
            members: [
                Workspace.Member(name: "search", file: "/w/search/lander.yml", directory: "/w/search"),
                Workspace.Member(name: "billing", file: "/w/billing/lander.yml", directory: "/w/billing"),
            ], statePath: "/w/.lander/state.db", plugins: [])
        let found = WorkspaceLoader.check(jobs: project.jobs, of: workspace).map(\.description)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.contains("job 'reindex' deploys 'serach', which is no project of the workspace") == true)
        #expect(found.first?.contains("search") == true)
    }

    @Test func aCommandCallingAJobThatIsNotThereOrNotItsRolesIsReported() {
        let found = problems(
            Self.environments + """
                jobs:
                  open-firewall:
                    callers: [cluster-a]
                    steps: [{ name: s, on: cluster-b, run: [true] }]
                steps:
                  - { name: x, on: cluster-a, run: [sh, -c, "lander-call open-firewal --var a=1 && true"] }
                  - { name: y, on: cluster-b, run: [lander-call, --no-wait, open-firewall] }
                  - { name: z, on: cluster-a, run: [sh, -c, "lander-call open-firewall; lander-call --result c"] }
                """)
        #expect(found.count == 2, "\(found)")
        #expect(
            found.contains {
                $0.contains("step 'x' runs lander-call open-firewal, but no job has that name")
                    && $0.contains("did you mean 'open-firewall'")
            }, "\(found)")
        #expect(
            found.contains {
                $0.contains(
                    "step 'y' on role 'cluster-b' runs lander-call open-firewall, which role 'cluster-b' may not")
            }, "\(found)")
    }
}
