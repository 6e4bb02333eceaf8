import Testing

@testable import LanderLua

@Suite struct ValueTests {
    static let samples: [LuaValue] = [
        .nil, true, false, 0, .integer(Int64.max), .integer(Int64.min), 3.25, -0.5,
        "", "plain", "naïve ✓", .string("nul\u{0}inside"), .bytes([0xff, 0x00, 0xfe, 0x41]),
        [1, 2, 3], ["name": "app", "port": 8080], ["nested": ["list": [["deep": true]], "n": 1.5]],
    ]

    @Test(arguments: samples)
    func valueRoundTripsThroughLua(value: LuaValue) async throws {
        let runtime = try LuaRuntime.testing()
        runtime.register("value") { _ in [value] }
        let results = try await runtime.eval("local v = lander.value(); return v")
        #expect(results == [value])
    }

    @Test func luaSeesTypesAsLuaTypes() async throws {
        let runtime = try LuaRuntime.testing()
        runtime.register("values") { _ in [1, 1.5, "s", .bytes([0xff]), [1], ["k": 1], true] }
        let types = try await runtime.eval(
            """
            local a, b, c, d, e, f, g = lander.values()
            return math.type(a), math.type(b), type(c), #d, e[1], f.k, g
            """)
        #expect(types == ["integer", "float", "string", 1, 1, 1, true])
    }

    @Test func binaryStringsKeepEveryByte() async throws {
        let runtime = try LuaRuntime.testing()
        let results = try await runtime.eval(
            "local s = ''; for i = 0, 255 do s = s .. string.char(i) end; return s, #s")
        #expect(results.first?.byteValue == Array(0...255))
        #expect(results.last == 256)
    }

    @Test func cyclesAreRejectedWithAClearError() async throws {
        let runtime = try LuaRuntime.testing()
        let error = try #require(await luaError { _ = try await runtime.eval("local t = {}; t.self = t; return t") })
        #expect(error.kind == .conversion)
        #expect(error.message.contains("contains itself (a cycle)"))
    }

    @Test func sharedButAcyclicTablesAreFine() async throws {
        let runtime = try LuaRuntime.testing()
        let results = try await runtime.eval("local leaf = {1}; return {a = leaf, b = leaf}")
        #expect(results == [["a": [1], "b": [1]]])
    }

    @Test(arguments: [
        ("return {1, 2, x = 3}", "mixing list items and named fields"),
        ("return {[1] = 1, [3] = 3}", "hole at index 2"),
        ("return {[true] = 1}", "key of type boolean"),
        ("return coroutine.create(function() end)", "a thread cannot be passed"),
    ])
    func unconvertibleTablesAreRejected(source: String, problem: String) async throws {
        let runtime = try LuaRuntime.testing()
        let error = try #require(await luaError { _ = try await runtime.eval(source) })
        #expect(error.message.contains(problem))
    }

    @Test func functionsCanBeHeldAndCalledBack() async throws {
        let runtime = try LuaRuntime.testing()
        let results = try await runtime.eval("return { greet = function(name) return 'hello ' .. name end }")
        guard case .function(let greet)? = results.first?["greet"] else {
            Issue.record("expected a function, got \(results)")
            return
        }
        #expect(try await runtime.call(greet, ["lander"]) == ["hello lander"])
        let other = try LuaRuntime.testing()
        #expect(await luaError { _ = try await other.call(greet, []) }?.kind == .conversion)
    }

    @Test func nestingDepthIsBounded() async throws {
        let runtime = try LuaRuntime.testing()
        let error = try #require(
            await luaError { _ = try await runtime.eval("local t = {}; for i = 1, 200 do t = {t} end; return t") })
        #expect(error.message.contains("levels deep"))
    }
}
