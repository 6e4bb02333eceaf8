import LanderEngine

/// `lander.process.start(name, argv)`, `.stop(name)`, `.running(name)`: programs a hook leaves running on
/// the orchestrator for a later hook (a tunnel from `pre_upload` to `finally`); argv lists, never shell text.
struct ProcessAPI {
    let processes: HookProcesses

    func install(in runtime: LuaRuntime) {
        let processes = self.processes
        runtime.register(
            "process.start",
            async: { arguments in
                guard let name = arguments.first?.stringValue, !name.isEmpty else {
                    throw LuaArgumentError(position: 1, function: "lander.process.start", problem: "a name expected")
                }
                guard let words = arguments.dropFirst().first?.arrayValue, !words.isEmpty else {
                    throw LuaArgumentError(
                        position: 2, function: "lander.process.start",
                        problem: "an argv list expected, e.g. {'ssh', '-N', …}")
                }
                var argv: [String] = []
                for word in words {
                    guard let text = word.stringValue else {
                        throw LuaArgumentError(
                            position: 2, function: "lander.process.start", problem: "argv elements must be strings")
                    }
                    argv.append(text)
                }
                do {
                    return [.integer(Int64(try await processes.start(name, argv)))]
                } catch {
                    throw LuaArgumentError(position: 2, function: "lander.process.start", problem: "\(error)")
                }
            })
        runtime.register(
            "process.stop",
            async: { arguments in
                guard let name = arguments.first?.stringValue else {
                    throw LuaArgumentError(position: 1, function: "lander.process.stop", problem: "a name expected")
                }
                guard let result = await processes.stop(name) else { return [.nil] }
                return [
                    .map([
                        "exit_code": .integer(Int64(result.exitCode)), "stdout": .string(result.stdout),
                        "stderr": .string(result.stderr),
                    ])
                ]
            })
        runtime.register(
            "process.running",
            async: { arguments in
                guard let name = arguments.first?.stringValue else {
                    throw LuaArgumentError(position: 1, function: "lander.process.running", problem: "a name expected")
                }
                return [.boolean(await processes.isRunning(name))]
            })
    }
}
