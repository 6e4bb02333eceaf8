import LanderModel
import Testing

@testable import LanderLoading

@Suite struct SSHLoadingTests {
    @Test func sshTargetsTakeEnvironmentDefaultsAndPatterns() throws {
        let project = try ProjectLoader.load(
            yaml: """
                project: shop
                environments:
                  production:
                    targets:
                      app-[01:02]: { ssh: "app-{n}.prod.internal:2222", root: /srv/shop, roles: [app] }
                      db-1: { ssh: { host: db1.prod.internal, user: postgres, host_key_checking: accept-new }, roles: [db] }
                    ssh: { user: deploy, jump: ops@bastion, identity: ~/.ssh/deploy, options: { ServerAliveInterval: "2" } }
                steps:
                  - { name: s, on: app, run: ["true"] }
                """, file: "lander.yml")
        let targets = try #require(project.environment(named: "production")).targets
        #expect(targets.map(\.name) == ["app-01", "app-02", "db-1"])
        guard case .ssh(let app, let root) = targets[1].transport else {
            Issue.record("app-02 is not an SSH target")
            return
        }
        #expect(app.destination == "app-02.prod.internal")
        #expect(app.port == 2222)
        #expect(app.user == "deploy")
        #expect(app.jump == "ops@bastion")
        #expect(app.identity == "~/.ssh/deploy")
        #expect(app.options == ["ServerAliveInterval": "2"])
        #expect(app.hostKeyChecking == "yes")
        #expect(root == "/srv/shop")
        guard case .ssh(let db, let dbRoot) = targets[2].transport else {
            Issue.record("db-1 is not an SSH target")
            return
        }
        #expect(db.destination == "db1.prod.internal")
        #expect(db.user == "postgres")
        #expect(db.jump == "ops@bastion")
        #expect(db.hostKeyChecking == "accept-new")
        #expect(dbRoot == ".lander/production")
    }

    @Test func sshMistakesAreReported() {
        let found = problems(
            """
            project: shop
            environments:
              production:
                targets:
                  a: { transport: ssh, roles: [app] }
                  b: { ssh: { host: b, host_key_checking: "no" }, roles: [app] }
                  c: { ssh: { hots: c }, roles: [app] }
                  d: { transport: telnet, roles: [app] }
            steps:
              - { name: s, on: app, run: ["true"] }
            """)
        #expect(found.contains { $0.contains("lander.yml:5:7: target 'a' uses transport ssh but has no ssh:") })
        #expect(found.contains { $0.contains("host_key_checking must be yes or accept-new, found 'no'") })
        #expect(found.contains { $0.contains("unknown key 'hots'") && $0.contains("did you mean 'host'?") })
        #expect(
            found.contains { $0.contains("unknown transport 'telnet'") && $0.contains("transports are: local, ssh") })
    }

    @Test func agentTargetsNameTheirAgentWithPatternsAndAgentMistakesAreReported() throws {
        let project = try ProjectLoader.load(
            yaml: """
                project: edge
                environments:
                  production:
                    targets:
                      edge-[1:2]: { agent: "edge-{n}", roles: [app] }
                      vault: { agent: vault-7, root: /srv/vault, roles: [db] }
                steps:
                  - { name: s, on: app, run: ["true"] }
                """, file: "lander.yml")
        let targets = try #require(project.environment(named: "production")).targets
        #expect(
            targets.map(\.transport) == [
                .agent("edge-1", root: "targets/edge-1"), .agent("edge-2", root: "targets/edge-2"),
                .agent("vault-7", root: "/srv/vault"),
            ])
        let found = problems(
            """
            project: shop
            environments:
              production:
                targets:
                  a: { transport: agent, roles: [app] }
                  b: { agent: b, ssh: b.internal, roles: [app] }
            steps:
              - { name: s, on: app, run: ["true"] }
            """)
        #expect(found.contains { $0.contains("lander.yml:5:7: target 'a' uses transport agent but names no agent") })
        #expect(found.contains { $0.contains("lander.yml:6:7: target 'b' has both ssh: and agent:") }, "\(found)")
    }
}
