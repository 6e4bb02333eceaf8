import Foundation
import LanderTesting
import Testing

/// What the command line itself says: exit codes for a wrong command line, help, the pictures of a plan.
@Suite struct CommandLineTests {
    static func project(_ scratch: Scratch) throws -> String {
        try scratch.file(
            "lander.yml",
            """
            project: 'say "hi"'
            environments:
              test:
                targets:
                  a: { roles: [app] }
                  b: { roles: [db] }
                  c: { roles: [db] }
            steps:
              - { name: 'the "big" one', on: app, run: ["true"] }
              - { name: many, on: db, run: ["true"] }
            """)
    }

    @Test func aWrongDeployCommandLineExits64AndNamesWhatIsMissing() async throws {
        let scratch = try Scratch()
        let file = try Self.project(scratch)
        let missing = try await Lander.run(["deploy", "-f", file, "-e", "test"])
        #expect(missing.status == 64, "\(missing.stderr)")
        #expect(missing.stderr.contains("give --version V"))
        let both = try await Lander.run(["deploy", "-f", file, "-e", "test", "--version", "1", "--release", "1"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("not both"))
        let package = try await Lander.run(["deploy", "-f", file, "-e", "test", "--version", "1", "--package", "x"])
        #expect(package.status == 64)
        let unknown = try await Lander.run(["deploy", "-f", file, "-e", "test", "--bogus"])
        #expect(unknown.status == 64)
    }

    @Test func helpListsVersionOnceAndLanderVersionPrintsTheVersion() async throws {
        let help = try await Lander.run(["deploy", "--help"])
        let lines = help.stdout.split(separator: "\n").filter {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix("--version")
        }
        #expect(lines.count == 1, "\(help.stdout)")
        let version = try await Lander.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        let plan = try await Lander.run(["plan", "--help"])
        #expect(plan.stdout.components(separatedBy: "--version").count == 3, "once in usage, once in options")
    }

    @Test func mermaidAndDotKeepQuotesAndCountTargetsInTheSingular() async throws {
        let scratch = try Scratch()
        let file = try Self.project(scratch)
        let mermaid = try await Lander.run(["plan", "-f", file, "-e", "test", "--format", "mermaid"])
        #expect(mermaid.status == 0, "\(mermaid.stderr)")
        #expect(mermaid.stdout.contains(#"subgraph s1["1. the #quot;big#quot; one"]"#), "\(mermaid.stdout)")
        #expect(mermaid.stdout.contains("on app · 1 target\""))
        #expect(mermaid.stdout.contains("on db · 2 targets\""))
        let dot = try await Lander.run(["plan", "-f", file, "-e", "test", "--format", "dot"])
        #expect(dot.stdout.contains(#"digraph "say \"hi\"" {"#), "\(dot.stdout)")
        #expect(dot.stdout.contains(#"label="1. the \"big\" one";"#))
        #expect(dot.stdout.contains("on app · 1 target\""))
        #expect(!mermaid.stdout.contains("'big'") && !dot.stdout.contains("'big'"))
    }
}

@Suite struct LiteralBracesTests {
    @Test func aQuotedLiteralWritesBracesThatReachTheCommandAsTyped() async throws {
        let scratch = try Scratch()
        let file = try scratch.fixture("braces", in: "braces")
        let deploy = try await Lander.run(["deploy", "-f", file, "-e", "test", "--version", "7", "--plain"])
        #expect(deploy.status == 0, "\(deploy.stdout)\(deploy.stderr)")
        let out = try String(
            contentsOfFile: scratch.url.appendingPathComponent("braces/t1/out.txt").path, encoding: .utf8)
        #expect(out == "{{name}} v7|{{one|{{env}}")
        let broken = try scratch.file(
            "broken/lander.yml",
            """
            project: broken
            environments:
              test:
                targets:
                  t1: { root: \(scratch.url.path)/broken/t1, roles: [app] }
            steps:
              - { name: s, on: app, run: [echo, "{{ '{{ }}"] }
            """)
        let plan = try await Lander.run(["plan", "-f", broken, "-e", "test"])
        #expect(plan.status == 2)
        #expect(plan.stderr.contains("quoted literal without its closing '"), "\(plan.stderr)")
    }
}

@Suite struct TemplateTimeoutTests {
    @Test func aTemplateStoppedByItsTimeoutNamesTheLuaLineItWasRunning() async throws {
        let scratch = try Scratch()
        _ = try scratch.file(
            "t/plugins/spin/init.lua",
            """
            return lander.template {
              run = function(ctx, p)
                local n = 0
                while true do n = n + 1 end
              end,
            }
            """)
        _ = try scratch.file(
            "t/plugins/waiter/init.lua",
            """
            return lander.template {
              run = function(ctx, p)
                ctx.target:run { "sleep", "5" }
              end,
            }
            """)
        let file = try scratch.file(
            "t/lander.yml",
            """
            project: t
            plugins: [plugins]
            environments:
              test:
                targets:
                  a: { root: \(scratch.url.path)/t/a, roles: [app] }
            steps:
              - { name: s, on: app, template: spin, timeout: 1s }
              - { name: w, on: app, template: waiter, timeout: 1s, when: always }
            """)
        let run = try await Lander.run(["deploy", "-f", file, "-e", "test", "--version", "1", "--plain"])
        #expect(run.status == 1)
        #expect(
            run.stdout.contains("template 'spin' timed out after 1s while running spin/init.lua:4"), "\(run.stdout)")
        #expect(run.stdout.contains("template 'waiter' timed out after 1s while running waiter/init.lua:3"))
    }
}
