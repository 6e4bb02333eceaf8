import Foundation
import LanderTesting
import Testing

@Suite struct LuaCommandTests {
    @Test func helpAndVersion() async throws {
        let help = try await Lander.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: lander <subcommand>"))
        #expect(help.stdout.contains("lua"))
        let version = try await Lander.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }

    @Test func runsAFileWithPluginsAndPrintsItsResult() async throws {
        let scratch = try Scratch()
        _ = try scratch.file("plugins/shout/init.lua", "return function(s) return s:upper() .. '!' end")
        let script = try scratch.file(
            "main.lua", "print(require('shout')('hi')); lander.log.info('logged'); return 1, 'two'")
        let run = try await Lander.run([
            "lua", "run", script, "--plugins", scratch.url.appendingPathComponent("plugins").path,
        ])
        #expect(run.status == 0)
        #expect(run.stdout == "HI!\n1\ttwo\n")
        #expect(run.stderr == "[info] logged\n")
    }

    @Test func pluginPathComesFromTheEnvironmentToo() async throws {
        let scratch = try Scratch()
        _ = try scratch.file("plugins/answer.lua", "return 42")
        let script = try scratch.file("main.lua", "return require('answer')")
        let run = try await Lander.run(
            ["lua", "run", script],
            environment: ["LANDER_PLUGIN_PATH": scratch.url.appendingPathComponent("plugins").path])
        #expect(run.stdout == "42\n")
    }

    /// Each kind of bad input: one line naming file and line, exit 1, no crash, no hang.
    @Test(arguments: [
        ("syntax.lua", "local x = 1\nlocal y = = 2\n", [String](), ":2: unexpected symbol near '='"),
        ("runtime.lua", "local t = nil\n\nreturn t.field\n", [], ":3: attempt to index a nil value (local 't')"),
        (
            "loop.lua", "local n = 0\nwhile true do n = n + 1 end\n", ["--instructions", "20000000"],
            ":2: instruction limit of 20000000 exceeded"
        ),
        (
            "bomb.lua", "local t = {}\nfor i = 1, 1e9 do t[i] = ('x'):rep(64) .. i end\n", ["--memory", "32"],
            ":2: memory limit of 33554432 bytes exceeded"
        ),
        ("rep.lua", "return string.rep('x', 2^40)\n", ["--memory", "32"], ":1: "),
        ("slow.lua", "\nlander.sleep(30)\n", ["--timeout", "0.2"], ":2: deadline of 0.2 seconds exceeded"),
    ])
    func badInputGivesOneLineWithFileAndLine(name: String, source: String, flags: [String], expected: String)
        async throws
    {
        let scratch = try Scratch()
        let script = try scratch.file(name, source)
        let run = try await Lander.run(["lua", "run", script] + flags, timeout: .seconds(30))
        #expect(run.status == 1)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(run.stderr)")
        #expect(lines.first?.hasPrefix("lander: \(script)") == true)
        #expect(run.stderr.contains(expected))
    }

    @Test func missingFileIsAClearError() async throws {
        let run = try await Lander.run(["lua", "run", "/nonexistent/plugin.lua"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("cannot read /nonexistent/plugin.lua"))
    }
}
