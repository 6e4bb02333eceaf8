// Benchmarks that print figures (never pass/fail): `Scripts/bench lua`, `Scripts/bench engine [TARGETS]`,
// `Scripts/bench events`, `Scripts/bench store`.
import Foundation
import LanderLua

/// Runs `body` `rounds` times and returns the median of the per-second rates it reports.
func median(rounds: Int, _ body: () async throws -> Double) async rethrows -> Double {
    var rates: [Double] = []
    for _ in 0..<rounds { rates.append(try await body()) }
    rates.sort()
    return rates[rates.count / 2]
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func benchLua() async throws {
    let clock = ContinuousClock()
    let rounds = 7

    // Swift → Lua: calls of a small Lua function from Swift, each a full protected entry.
    let calls = 200_000
    let runtime = try LuaRuntime(limits: .default, output: { _ in }, log: { _, _ in })
    let functions = try await runtime.run(source: "return function(a, b) return a + b end", chunk: "bench.lua")
    guard case .function(let add)? = functions.first else { fatalError("bench: no function") }
    let only = ProcessInfo.processInfo.environment["LANDER_BENCH_ONLY"]
    let swiftToLua =
        only != nil && only != "calls"
        ? 0
        : try await median(rounds: rounds) {
            let elapsed = try await clock.measure {
                for i in 0..<calls { _ = try await runtime.call(add, [.integer(Int64(i)), 1]) }
            }
            return Double(calls) / seconds(elapsed)
        }

    // Lua → Swift: host calls made from a Lua loop, through the C trampoline.
    let hostCalls = 2_000_000
    runtime.register("inc") { arguments in [.integer(try arguments.integer(1) + 1)] }
    let loop = try await runtime.run(
        source: "return function(n) local x = 0; for i = 1, n do x = lander.inc(x) end; return x end",
        chunk: "bench-host.lua", plugin: "bench-host")
    guard case .function(let hostLoop)? = loop.first else { fatalError("bench: no loop") }
    let luaToSwift =
        only != nil && only != "host"
        ? 0
        : try await median(rounds: rounds) {
            let elapsed = try await clock.measure { _ = try await runtime.call(hostLoop, [.integer(Int64(hostCalls))]) }
            return Double(hostCalls) / seconds(elapsed)
        }

    // Fresh sandboxed states: create, run a one-line chunk, close.
    let states = 5_000
    let statesPerSecond =
        only != nil && only != "states"
        ? 0
        : try await median(rounds: rounds) {
            let elapsed = try await clock.measure {
                for _ in 0..<states {
                    let fresh = try LuaRuntime(limits: .default, output: { _ in }, log: { _, _ in })
                    _ = try await fresh.run(source: "return 1", chunk: "fresh.lua")
                }
            }
            return Double(states) / seconds(elapsed)
        }

    print("lua: median of \(rounds) runs on \(ProcessInfo.processInfo.activeProcessorCount) cores")
    print(String(format: "  Swift→Lua calls/s        %12.0f   (target ≥ 5,000,000)", swiftToLua))
    print(String(format: "  Lua→Swift host calls/s   %12.0f   (target ≥ 5,000,000)", luaToSwift))
    print(String(format: "  fresh sandboxed states/s %12.0f   (target ≥ 15,000)", statesPerSecond))
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "lua": try await Task.detached { try await benchLua() }.value
case "engine":
    let targets = arguments.dropFirst().first.flatMap { Int($0) } ?? 1000
    try await Task.detached { try await benchEngine(targets: targets) }.value
case "events": benchEvents()
case "store": try await Task.detached { try await benchStore() }.value
case "store-locker":
    let rest = Array(arguments.dropFirst())
    try await storeLocker(path: rest.first ?? "", rounds: rest.dropFirst().first.flatMap { Int($0) } ?? 100)
default:
    print(
        "usage: lander-bench lua | engine [TARGETS] | events | store   (LANDER_BENCH_ONLY=calls|host|states runs one lua part)"
    )
    exit(2)
}
