import Foundation
import Testing

@testable import LanderLua

/// Start and end instants recorded by Swift around each awaited sleep.
final class Intervals: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [(start: ContinuousClock.Instant, end: ContinuousClock.Instant)] = []

    func record(_ start: ContinuousClock.Instant, _ end: ContinuousClock.Instant) {
        lock.lock()
        storage.append((start, end))
        lock.unlock()
    }

    var all: [(start: ContinuousClock.Instant, end: ContinuousClock.Instant)] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

@Suite struct AsyncHostFunctionTests {
    @Test func twoHundredScriptsWaitingOnSwiftOverlap() async throws {
        let intervals = Intervals()
        let scripts = 200
        try await withThrowingTaskGroup(of: [LuaValue].self) { group in
            for index in 0..<scripts {
                group.addTask {
                    let runtime = try LuaRuntime.testing()
                    runtime.register(
                        "wait",
                        async: { arguments in
                            let start = ContinuousClock.now
                            try await Task.sleep(for: .milliseconds(200))
                            intervals.record(start, ContinuousClock.now)
                            return [arguments.first ?? .nil]
                        })
                    return try await runtime.eval("local n = ...; return lander.wait(\(index)) + 1")
                }
            }
            var sum: Int64 = 0
            for try await result in group { sum += result.first?.integerValue ?? 0 }
            #expect(sum == Int64((0..<scripts).reduce(0, +) + scripts))
        }
        let recorded = intervals.all
        #expect(recorded.count == scripts)
        // Every wait overlaps every other: the last one started before the first one ended,
        // which cannot happen if a waiting script held one of the pool's threads.
        let latestStart = try #require(recorded.map(\.start).max())
        let earliestEnd = try #require(recorded.map(\.end).min())
        #expect(latestStart < earliestEnd)
    }

    @Test func waitingWorksInsideTheScriptsOwnCoroutines() async throws {
        let runtime = try LuaRuntime.testing()
        runtime.register(
            "double",
            async: { arguments in
                try await Task.sleep(for: .milliseconds(1))
                return [.integer((arguments.first?.integerValue ?? 0) * 2)]
            })
        let results = try await runtime.eval(
            """
            local gen = coroutine.wrap(function()
              for i = 1, 3 do
                local inner = coroutine.create(function(x) return lander.double(x) end)
                local ok, v = coroutine.resume(inner, i)
                coroutine.yield(v)
              end
            end)
            local ok, err = pcall(function() return lander.double(21) end)
            return gen(), gen(), gen(), err
            """)
        #expect(results == [2, 4, 6, 42])
    }

    @Test func waitingInsideANonYieldableCallbackIsAClearError() async throws {
        let runtime = try LuaRuntime.testing()
        let error = try #require(
            await luaError {
                _ = try await runtime.eval("table.sort({3, 1, 2}, function(a, b) lander.sleep(0) return a < b end)")
            })
        #expect(error.message.contains("lander.sleep waits, so it cannot be called here"))
    }

    @Test func yieldOutsideACoroutineIsAnError() async throws {
        let runtime = try LuaRuntime.testing()
        let error = try #require(await luaError { _ = try await runtime.eval("coroutine.yield(1)") })
        #expect(error.message == "coroutine.yield was called outside of a coroutine")
        #expect(try await runtime.eval("return 'still usable'") == ["still usable"])
    }
}
