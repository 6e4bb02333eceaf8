import ArgumentParser
import LanderLua

/// `lander lua …`: tools for plugin authors.
struct LuaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lua",
        abstract: "Run Lua in Lander's sandbox (for plugin authors).",
        subcommands: [Run.self]
    )

    /// `lander lua run FILE`: runs a file in the sandbox with the plugin path and limits.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a Lua file in the sandbox.")

        @Argument(help: "The Lua file to run.")
        var file: String

        @Option(name: .customLong("plugins"), help: "A plugin directory to search first (repeatable).")
        var plugins: [String] = []

        @Option(help: "Memory limit in MiB.")
        var memory: Int = 64

        @Option(help: "Instruction limit (0: none).")
        var instructions: Int = 1_000_000_000

        @Option(help: "Timeout in seconds (0: none).")
        var timeout: Double = 0

        func run() async throws {
            let limits = LuaLimits(
                memory: memory > 0 ? memory << 20 : nil, instructions: instructions > 0 ? instructions : nil,
                deadline: timeout > 0 ? .milliseconds(Int(timeout * 1000)) : nil)
            let source: String
            do {
                source = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
            let runtime = try LuaRuntime(
                limits: limits, pluginPath: .standard(flags: plugins), output: { printOutput($0) },
                log: { level, message in printError("[\(level.rawValue)] \(message)") })
            do {
                let results = try await runtime.run(source: source, chunk: file)
                if !results.isEmpty { printOutput(results.map(\.description).joined(separator: "\t")) }
            } catch {
                printError("lander: \(error.description)")
                throw ExitCode(1)
            }
        }
    }
}
