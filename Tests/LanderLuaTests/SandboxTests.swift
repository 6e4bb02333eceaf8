import CLuaShim
import Foundation
import Testing

@testable import LanderLua

@Suite struct SandboxTests {
    @Test(arguments: [
        "os.execute", "os.exit", "os.getenv", "os.remove", "io", "loadfile", "dofile", "debug", "package",
        "string.dump", "require == nil and 1 or nil", "collectgarbage == nil and 1 or nil",
    ])
    func dangerousNameIsAbsent(expression: String) async throws {
        let runtime = try LuaRuntime.testing()
        #expect(try await runtime.eval("return \(expression)") == [.nil])
    }

    @Test func stringMethodsCannotReachDump() async throws {
        let runtime = try LuaRuntime.testing()
        #expect(try await runtime.eval("return ('x').dump, getmetatable('')") == [.nil, false])
        #expect(try await runtime.eval("return ('abc'):upper()") == ["ABC"])
    }

    @Test(arguments: ["stop", "restart", "generational", "incremental", "setpause"])
    func collectgarbageControlIsRefused(option: String) async throws {
        let runtime = try LuaRuntime.testing()
        let error = try #require(await luaError { _ = try await runtime.eval("collectgarbage('\(option)')") })
        #expect(error.message == "collectgarbage('\(option)') is not allowed in Lander scripts")
        #expect(try await runtime.eval("return type(collectgarbage('count'))") == ["number"])
    }

    @Test func binaryChunksAreRefused() async throws {
        var size = 0
        let source = "return 'from bytecode'"
        let compiled = try #require(source.withCString { lander_compile($0, source.utf8.count, "=b", &size) })
        let bytes = compiled.withMemoryRebound(to: UInt8.self, capacity: size) {
            Array(UnsafeBufferPointer(start: $0, count: size))
        }
        free(compiled)
        let runtime = try LuaRuntime.testing()
        runtime.register("chunk") { _ in [.bytes(bytes)] }
        for mode in ["nil", "'b'", "'bt'", "'t'"] {
            let results = try await runtime.eval("return load(lander.chunk(), 'x', \(mode))")
            #expect(results.first == .nil, "mode \(mode) loaded a binary chunk")
            #expect(results.last?.stringValue?.contains("binary") == true)
        }
        #expect(try await runtime.eval("return load('return 5')()") == [5])
    }

    @Test func loadedTextChunksRunInTheCallersSandbox() async throws {
        let runtime = try LuaRuntime.testing()
        #expect(try await runtime.eval("secret = 7; return load('return secret, io')()") == [7, .nil])
    }

    @Test func globalsDoNotLeakBetweenPlugins() async throws {
        let runtime = try LuaRuntime.testing()
        _ = try await runtime.run(source: "shared = 'a'; print = nil", chunk: "a/init.lua", plugin: "a")
        let seen = try await runtime.run(source: "return shared, type(print)", chunk: "b/init.lua", plugin: "b")
        #expect(seen == [.nil, "function"])
        let same = try await runtime.run(source: "return shared", chunk: "a/other.lua", plugin: "a")
        #expect(same == ["a"])
    }

    @Test(arguments: [
        ("string.upper = nil", "cannot set string.upper: string is read-only"),
        ("lander.log = nil", "cannot set lander.log: lander is read-only"),
        ("lander.log.info = print", "cannot set lander.log.info: lander.log is read-only"),
        ("math.pi = 3", "cannot set math.pi: math is read-only"),
        ("getmetatable(string).__index.upper = nil", "attempt to index a boolean value"),
    ])
    func sharedLibrariesAreReadOnly(source: String, problem: String) async throws {
        let runtime = try LuaRuntime.testing()
        let error = try #require(
            await luaError { _ = try await runtime.run(source: source, chunk: "a.lua", plugin: "a") })
        #expect(error.message.contains(problem))
        #expect(error.line == 1)
        let intact = try await runtime.run(
            source: "return string.upper('x'), type(lander.log.info), math.pi > 3.14", chunk: "b.lua", plugin: "b")
        #expect(intact == ["X", "function", true])
    }

    @Test func librariesStillEnumerate() async throws {
        let runtime = try LuaRuntime.testing()
        let results = try await runtime.eval(
            "local n = 0; for k, v in pairs(string) do n = n + 1 end; local m = 0; for k in pairs(lander.log) do m = m + 1 end; return n > 10, m"
        )
        #expect(results == [true, 4])
    }
}
