import Foundation
import Testing

@testable import LanderLua

/// `LuaStop`: a host stops a runtime's script from another thread for a reason of its own (a lock the
/// script held was lost), whether the script computes or waits on host work, and `pcall` cannot hide it.
@Suite struct StopTests {
    @Test func aBusyScriptIsStoppedWithTheReasonAndItsPcallCannotSwallowIt() async throws {
        let runtime = try LuaRuntime.testing()
        let stop = runtime.stop
        // Tripped as the loop begins (as a renewal thread would): the loop never ends by itself.
        runtime.register("started") { _ in
            stop.trip("lock 'db' was lost")
            return []
        }
        let error = await #expect(throws: LuaError.self) {
            try await runtime.eval(
                """
                lander.started()
                while true do pcall(function() for i = 1, 1000 do end end) end
                """)
        }
        #expect(error?.kind == .stopped && error?.message == "lock 'db' was lost", "\(String(describing: error))")
        // Every later entry of that runtime is refused for the same reason.
        let again = await #expect(throws: LuaError.self) { try await runtime.eval("return 1") }
        #expect(again?.kind == .stopped)
    }

    @Test func aHostCallTheScriptWaitsOnIsAbandonedOnceTheSwitchIsArmed() async throws {
        let runtime = try LuaRuntime.testing()
        let stop = runtime.stop
        let abandoned = Flag()
        runtime.register("hold") { _ in
            stop.arm()
            return []
        }
        runtime.register(
            "wait",
            async: { _ in
                // Tripped while the script waits here, from a thread of its own (as a lease's renewal is):
                // neither depends on the cooperative pool, which other suites may keep busy.
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: 0.05)
                    stop.trip("lock 'db' was lost")
                }
                do {
                    try await Task.sleep(for: .seconds(600))
                } catch {
                    abandoned.set()
                    throw error
                }
                return []
            })
        let error = await #expect(throws: LuaError.self) {
            try await runtime.eval("lander.hold(); local ok = pcall(lander.wait); return ok")
        }
        #expect(error?.kind == .stopped && error?.message == "lock 'db' was lost", "\(String(describing: error))")
        #expect(abandoned.value, "the host call went on after the stop")
    }
}

/// A flag set from any thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var storage = false
    func set() { lock.withLock { storage = true } }
    var value: Bool { lock.withLock { storage } }
}
