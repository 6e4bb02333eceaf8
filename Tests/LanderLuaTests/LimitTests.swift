import Foundation
import Synchronization
import Testing

@testable import LanderLua

@Suite struct LimitTests {
    static let tight = LuaLimits(memory: 8 << 20, instructions: 5_000_000)
    /// No budget but a far deadline: a loop whose cancellation never lands fails its test instead of
    /// spinning on a thread of the pool for the rest of the run.
    static let untilCancelled = LuaLimits(deadline: .seconds(120))

    @Test(arguments: [
        "while true do end",
        "while true do pcall(function() while true do end end) end",
        "local co = coroutine.wrap(function() while true do end end); co()",
        "while true do local ok = pcall(error, 'x'); pcall(string.rep, 'x', 10) end",
        "local function f() return f() end; f()",
    ])
    func runawayCodeIsStoppedByTheInstructionBudget(source: String) async throws {
        let runtime = try LuaRuntime.testing(limits: Self.tight)
        let error = try #require(await luaError { _ = try await runtime.eval(source) })
        #expect(error.kind == .instructionLimit)
        #expect(error.chunk == "test.lua")
        #expect(error.line == 1)
        #expect(error.description == "test.lua:1: instruction limit of 5000000 exceeded (a runaway loop?)")
        #expect(try await runtime.eval("return 'usable'") == ["usable"])
    }

    @Test(arguments: [
        "local t = {}\nfor i = 1, 1e9 do t[i] = i end",
        "local s = string.rep('x', 1e9)",
        "local t = {}\nfor i = 1, 1e9 do t[#t + 1] = tostring(i) .. 'padding' end",
        "local t = {}\nwhile true do pcall(function() t[#t + 1] = string.rep('y', 1e5) end) end",
        "local function grow(s) return grow(s .. s) end\ngrow('x')",
    ])
    func memoryBombsAreStoppedAndTheStateStaysUsable(source: String) async throws {
        let runtime = try LuaRuntime.testing(limits: LuaLimits(memory: 16 << 20, instructions: 2_000_000_000))
        let error = try #require(await luaError { _ = try await runtime.eval(source) })
        #expect(error.kind == .memoryLimit)
        #expect(error.message == "memory limit of 16777216 bytes exceeded")
        #expect(error.chunk == "test.lua")
        #expect(error.line != nil)
        #expect(try await runtime.eval("local t = {}; for i = 1, 1000 do t[i] = i end; return #t") == [1000])
        #expect(runtime.memoryUsed < 16 << 20)
    }

    @Test func compilingAHugeChunkCountsAgainstMemory() async throws {
        let runtime = try LuaRuntime.testing(limits: LuaLimits(memory: 1 << 20))
        let source = "return {" + String(repeating: "'some string value', ", count: 100_000) + "}"
        let error = try #require(await luaError { _ = try await runtime.eval(source) })
        #expect(error.kind == .memoryLimit)
    }

    @Test func deadlineStopsABusyScript() async throws {
        let runtime = try LuaRuntime.testing(limits: LuaLimits(deadline: .milliseconds(100)))
        let error = try #require(await luaError { _ = try await runtime.eval("while true do end") })
        #expect(error.kind == .deadline)
        #expect(error.line == 1)
    }

    @Test func deadlineStopsAWaitingScript() async throws {
        let runtime = try LuaRuntime.testing(limits: LuaLimits(deadline: .milliseconds(100)))
        let error = try #require(
            await luaError { _ = try await runtime.eval("\npcall(lander.sleep, 60)\nwhile true do end") })
        #expect(error.kind == .deadline)
    }

    @Test func cancellationStopsABusyScript() async throws {
        let started = StartFlag()
        let task = Task { () -> LuaError? in
            let runtime = try LuaRuntime.testing(limits: Self.untilCancelled)
            runtime.register("started") { _ in
                started.value.store(true, ordering: .relaxed)
                return []
            }
            return await luaError { _ = try await runtime.eval("lander.started() while true do end") }
        }
        // Cancelled once the loop runs, from a thread of its own: the loop holds a thread of the cooperative
        // pool, and other suites may hold the rest (a canceller waiting for a turn there would never come).
        Thread.detachNewThread {
            for _ in 0..<24_000 where !started.value.load(ordering: .relaxed) { usleep(5000) }
            usleep(20_000)
            task.cancel()
        }
        let error = try #require(try await task.value)
        #expect(error.kind == .cancelled)
        #expect(error.description == "test.lua:1: cancelled")
    }

    @Test func cancellationStopsAWaitingScriptEvenIfItCatchesTheError() async throws {
        let task = Task { () -> LuaError? in
            let runtime = try LuaRuntime.testing(limits: Self.untilCancelled)
            return await luaError {
                _ = try await runtime.eval("local ok = pcall(lander.sleep, 60)\nwhile true do end")
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        let error = try #require(try await task.value)
        #expect(error.kind == .cancelled)
        #expect(error.line == 2)
    }

    @Test func budgetIsPerEntry() async throws {
        let runtime = try LuaRuntime.testing(limits: LuaLimits(instructions: 2_000_000))
        for _ in 0..<5 {
            #expect(
                try await runtime.eval("local n = 0; for i = 1, 200000 do n = n + i end; return n") == [20_000_100_000])
        }
    }
}

/// Set once a script reaches a point.
final class StartFlag: Sendable {
    let value = Atomic<Bool>(false)
}
