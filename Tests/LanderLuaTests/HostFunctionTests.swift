import Testing

@testable import LanderLua

struct DeployRefused: Error, Equatable, CustomStringConvertible {
    var reason: String
    var description: String { "deploy refused: \(reason)" }
}

@Suite struct HostFunctionTests {
    @Test func syncHostFunctionReceivesArgumentsAndReturnsResults() async throws {
        let runtime = try LuaRuntime.testing()
        runtime.register("math.add") { arguments in
            [.integer(try arguments.integer(1) + arguments.integer(2)), .string("sum")]
        }
        #expect(try await runtime.eval("local s, label = lander.math.add(40, 2); return s, label") == [42, "sum"])
    }

    @Test func swiftThrowIsCatchableWithPcall() async throws {
        let runtime = try LuaRuntime.testing()
        runtime.register("gate") { _ in throw DeployRefused(reason: "frozen") }
        let results = try await runtime.eval(
            """
            local ok, err = pcall(function() lander.gate() end)
            return ok, err
            """)
        #expect(results == [false, "test.lua:1: deploy refused: frozen"])
    }

    @Test func uncaughtSwiftThrowReachesSwiftWithTheOriginalError() async throws {
        let runtime = try LuaRuntime.testing()
        runtime.register("gate") { _ in throw DeployRefused(reason: "frozen") }
        let error = try #require(await luaError { _ = try await runtime.eval("local a = 1\nlander.gate()\n") })
        #expect(error.line == 2)
        #expect(error.message == "deploy refused: frozen")
        #expect(error.underlying as? DeployRefused == DeployRefused(reason: "frozen"))
    }

    @Test func asyncSwiftThrowReachesSwiftWithTheOriginalError() async throws {
        let runtime = try LuaRuntime.testing()
        runtime.register(
            "fetch",
            async: { _ in
                try await Task.sleep(nanoseconds: 1_000_000)
                throw DeployRefused(reason: "feed down")
            })
        let caught = try await runtime.eval("local ok, err = pcall(lander.fetch); return ok, err")
        #expect(caught.first == false)
        #expect(caught.last?.stringValue?.hasSuffix("deploy refused: feed down") == true)
        let error = try #require(await luaError { _ = try await runtime.eval("\n\nlander.fetch()") })
        #expect(error.line == 3)
        #expect(error.underlying as? DeployRefused == DeployRefused(reason: "feed down"))
    }

    @Test func wrongArgumentTypeIsALuaErrorNamingTheFunction() async throws {
        let runtime = try LuaRuntime.testing()
        let error = try #require(await luaError { _ = try await runtime.eval("lander.log.info({})") })
        #expect(error.description == "test.lua:1: bad argument #1 to 'lander.log.info' (string expected, got table)")
    }

    @Test func hostFunctionsLeakNothingAcrossManyCaughtErrors() async throws {
        let runtime = try LuaRuntime.testing()
        runtime.register("fail") { _ in throw DeployRefused(reason: "x") }
        _ = try await runtime.eval("for i = 1, 10000 do pcall(lander.fail) end")
        let before = runtime.memoryUsed
        _ = try await runtime.eval("for i = 1, 10000 do pcall(lander.fail) end; collectgarbage()")
        #expect(runtime.memoryUsed <= before + 16 * 1024)
    }

    @Test func printAndLogReachTheHost() async throws {
        let transcript = Transcript()
        let runtime = try LuaRuntime.testing(transcript: transcript)
        _ = try await runtime.eval("print('a', 1, nil, true); lander.log.warn('careful')")
        #expect(transcript.lines == ["a\t1\tnil\ttrue", "warn: careful"])
    }
}

/// Counts how many instances were released.
final class ReleaseCounter: @unchecked Sendable {
    var defers = 0
    var deinits = 0
}

final class FrameObject {
    let counter: ReleaseCounter
    init(_ counter: ReleaseCounter) { self.counter = counter }
    deinit { counter.deinits += 1 }
}

@Suite struct TrampolineTests {
    /// A Lua error raised from inside a Swift frame would skip its `defer` and leak its objects.
    @Test func throwingHostFunctionsUnwindEverySwiftFrame() async throws {
        let counter = ReleaseCounter()
        let runtime = try LuaRuntime.testing()
        runtime.register("fail") { _ in
            let object = FrameObject(counter)
            defer { counter.defers += 1 }
            throw DeployRefused(reason: "\(ObjectIdentifier(object))")
        }
        _ = try await runtime.eval("for i = 1, 1000 do pcall(lander.fail) end")
        _ = await luaError { _ = try await runtime.eval("lander.fail()") }
        #expect(counter.defers == 1001)
        #expect(counter.deinits == 1001)
    }
}
