import Testing

@testable import LanderLua

@Suite struct ErrorReportingTests {
    @Test func runtimeErrorNamesChunkLineAndCarriesTraceback() async throws {
        let runtime = try LuaRuntime.testing()
        let error = try #require(
            await luaError {
                _ = try await runtime.eval(
                    """
                    local function inner(t)
                      return t.missing.field
                    end
                    local function outer() local v = inner({}); return v end
                    outer()
                    """)
            })
        #expect(error.kind == .runtime)
        #expect(error.chunk == "test.lua")
        #expect(error.line == 2)
        #expect(error.message == "attempt to index a nil value (field 'missing')")
        #expect(error.description == "test.lua:2: attempt to index a nil value (field 'missing')")
        let traceback = try #require(error.traceback)
        #expect(traceback.contains("test.lua:2: in "))
        #expect(traceback.contains("test.lua:4: in "))
    }

    @Test func errorInPluginModuleNamesPluginFileAndLine() async throws {
        let tree = try PluginTree()
        try tree.write(
            "notify/init.lua",
            Array(repeating: "-- padding", count: 11).joined(separator: "\n") + "\nlocal cfg = nil; return cfg.url\n")
        let runtime = try LuaRuntime.testing(plugins: [tree.path])
        let error = try #require(await luaError { _ = try await runtime.require("notify") })
        #expect(error.plugin == "notify")
        #expect(error.chunk == "notify/init.lua")
        #expect(error.line == 12)
        #expect(error.description.hasPrefix("notify/init.lua:12: attempt to index a nil value"))
    }

    @Test func syntaxErrorIsReportedWithLine() async throws {
        let tree = try PluginTree()
        try tree.write("broken/init.lua", "local x = 1\nlocal y = = 2\n")
        let runtime = try LuaRuntime.testing(plugins: [tree.path])
        let error = try #require(await luaError { _ = try await runtime.require("broken") })
        #expect(error.chunk == "broken/init.lua")
        #expect(error.line == 2)
        #expect(error.description.contains("unexpected symbol near '='"))

        let direct = try #require(await luaError { _ = try await runtime.eval("return (", chunk: "x.lua") })
        #expect(direct.kind == .syntax)
        #expect(direct.chunk == "x.lua")
        #expect(direct.line == 1)
    }

    @Test func errorWithTableValueIsDescribed() async throws {
        let runtime = try LuaRuntime.testing()
        let error = try #require(
            await luaError {
                _ = try await runtime.eval(
                    "error(setmetatable({}, { __tostring = function() return 'custom failure' end }))")
            })
        #expect(error.message == "custom failure")
        #expect(error.line == 1)
    }

    @Test func runtimeStaysUsableAfterAnError() async throws {
        let runtime = try LuaRuntime.testing()
        _ = await luaError { _ = try await runtime.eval("error('first')") }
        #expect(try await runtime.eval("return 1 + 1") == [2])
    }

    @Test(arguments: [
        ("notify/init.lua:12: attempt to index", "notify/init.lua", 12, "attempt to index"),
        ("a:b.lua:3: x: y", "a:b.lua", 3, "x: y"),
    ])
    func locationPrefixIsSplit(text: String, chunk: String, line: Int, message: String) {
        let split = LuaError.splitLocation(text)
        #expect(split?.chunk == chunk)
        #expect(split?.line == line)
        #expect(split?.message == message)
    }

    @Test func textWithoutLocationIsNotSplit() {
        #expect(LuaError.splitLocation("plain failure") == nil)
        #expect(LuaError.splitLocation("time 12:30 is late") == nil)
    }
}

@Suite struct ChunkNamingTests {
    @Test(arguments: [
        ("notify/init.lua", "notify"), ("tour.lua", "tour"), ("/tmp/b.lua", "b"), ("a/b/c.lua", "c"),
        ("/work/plugins/greet/init.lua", "greet"),
    ])
    func chunkBelongsToItsFileOrItsDirectoryForInit(chunk: String, plugin: String) {
        #expect(LuaRuntime.pluginName(ofChunk: chunk) == plugin)
    }

    @Test func emptyChunkRunsAndReturnsNothing() async throws {
        let runtime = try LuaRuntime.testing()
        #expect(try await runtime.eval("") == [])
    }
}
