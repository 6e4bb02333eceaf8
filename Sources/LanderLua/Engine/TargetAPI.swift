import Foundation
import LanderEngine
import LanderTransport

/// A failure a host function reports to Lua as its error message.
struct HostFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `ctx.target:run/try_run/spawn/session/close`: a template's reach to its target, bound to one task context.
struct TargetAPI {
    let context: TaskContext

    func install(in runtime: LuaRuntime) {
        let context = self.context
        // Each is called as a method (`ctx.target:run(…)`): the first argument is the target table.
        runtime.registerInternal("run", displayName: "ctx.target:run") { arguments in
            try await Self.run(Array(arguments.dropFirst()), context)
        }
        runtime.registerInternal("spawn", displayName: "ctx.target:spawn") { arguments in
            try await Self.spawn(Array(arguments.dropFirst()), context)
        }
        runtime.registerInternal("upload", displayName: "ctx.target:upload") { (all: [LuaValue]) in
            let (local, remote) = try Self.paths(Array(all.dropFirst()), "ctx.target:upload")
            do {
                try await context.connection.upload(Self.local(local, context), to: remote)
            } catch {
                throw HostFailure("\(error)")
            }
            return []
        }
        runtime.registerInternal("download", displayName: "ctx.target:download") { (all: [LuaValue]) in
            let (remote, local) = try Self.paths(Array(all.dropFirst()), "ctx.target:download")
            do {
                try await context.connection.download(remote, to: Self.local(local, context))
            } catch {
                throw HostFailure("\(error)")
            }
            return []
        }
        runtime.registerInternal("milestone", displayName: "ctx.milestone") { arguments in
            guard let name = arguments.first?.stringValue, !name.isEmpty else {
                throw HostFailure("ctx.milestone needs a name, e.g. ctx.milestone(\"schema-ready\")")
            }
            context.events(.milestone(name: context.masker.mask(name), step: context.step))
            return []
        }
        runtime.registerInternal("session", displayName: "ctx.target:session") { all in
            let arguments = Array(all.dropFirst())
            let name = try Self.name(arguments, "ctx.target:session")
            guard let session = context.sessions.session(name, on: context.target.name) else { return [.nil] }
            return [
                .map([
                    "name": .string(name), "pid": .integer(Int64(session.pid)), "running": .boolean(session.isRunning),
                ])
            ]
        }
        runtime.registerInternal("close", displayName: "ctx.target:close") { all in
            let arguments = Array(all.dropFirst())
            let name = try Self.name(arguments, "ctx.target:close")
            guard let result = await context.sessions.close(name, on: context.target.name) else { return [.nil] }
            return [Self.table(result)]
        }
    }

    private static func run(_ arguments: [LuaValue], _ context: TaskContext) async throws -> [LuaValue] {
        let argv = try Self.argv(arguments, "ctx.target:run")
        let options = arguments.count > 1 ? arguments[1] : .nil
        var environment = context.target.env
        if case .map(let fields) = options, case .map(let env)? = fields["env"] {
            for (key, value) in env { environment[key] = value.stringValue ?? value.description }
        }
        var timeout: Duration?
        var check = true
        if case .map(let fields) = options {
            if let seconds = fields["timeout"]?.doubleValue { timeout = .milliseconds(Int64(seconds * 1000)) }
            if fields["check"] == .boolean(false) { check = false }
        }
        let command = Command(argv, environment: environment)
        let events = context.events
        let result: CommandResult
        do {
            result = try await context.connection.run(
                command,
                options: RunOptions(timeout: timeout) { line, isError in
                    events(
                        .output(
                            step: context.step, task: context.task, target: context.target.name, line: line,
                            isError: isError))
                })
        } catch {
            throw HostFailure(error.message)
        }
        if result.stoppedBy == .timeout, let timeout {
            throw HostFailure("`\(command)` timed out after \(timeout.formatted)")
        }
        if check, !result.succeeded {
            let detail = result.stderr.split(separator: "\n").last.map { ": \($0)" } ?? ""
            throw HostFailure(
                "`\(command)` exited \(result.exitCode)\(detail) (pass { check = false } to handle the exit code yourself)"
            )
        }
        return [table(result)]
    }

    private static func spawn(_ arguments: [LuaValue], _ context: TaskContext) async throws -> [LuaValue] {
        let argv = try Self.argv(arguments, "ctx.target:spawn")
        var name = URL(fileURLWithPath: argv[0]).lastPathComponent
        var environment = context.target.env
        if arguments.count > 1, case .map(let fields) = arguments[1] {
            if let given = fields["name"]?.stringValue { name = given }
            if case .map(let env)? = fields["env"] {
                for (key, value) in env { environment[key] = value.stringValue ?? value.description }
            }
        }
        if context.sessions.session(name, on: context.target.name) != nil {
            throw HostFailure(
                "a session named '\(name)' is already open on \(context.target.name); close it or pass { name = … }")
        }
        let process: any BackgroundCommand
        do {
            process = try await context.connection.spawn(Command(argv, environment: environment))
        } catch {
            throw HostFailure(error.message)
        }
        guard context.sessions.open(name, on: context.target.name, process, step: context.step, task: context.task)
        else {
            _ = await process.close(grace: .seconds(1))
            throw HostFailure("a session named '\(name)' is already open on \(context.target.name)")
        }
        return [.map(["name": .string(name), "pid": .integer(Int64(process.pid)), "running": .boolean(true)])]
    }

    static func argv(_ arguments: [LuaValue], _ function: String) throws -> [String] {
        guard case .array(let items)? = arguments.first, !items.isEmpty else {
            throw LuaArgumentError(
                position: 1, function: function,
                problem: "argv list expected, e.g. { \"mkdir\", \"-p\", dir }; commands are never shell strings")
        }
        return try items.map { item in
            switch item {
            case .string(let text): return text
            case .integer(let number): return String(number)
            case .number(let number): return String(number)
            default:
                throw LuaArgumentError(
                    position: 1, function: function, problem: "argv holds a \(item.typeName); use strings and numbers")
            }
        }
    }

    private static func paths(_ arguments: [LuaValue], _ function: String) throws -> (String, String) {
        guard let first = arguments.first?.stringValue, arguments.count > 1, let second = arguments[1].stringValue
        else {
            throw LuaArgumentError(position: 1, function: function, problem: "two paths expected (from, to)")
        }
        return (first, second)
    }

    /// A local path: relative ones are under the project's directory.
    private static func local(_ path: String, _ context: TaskContext) -> String {
        path.hasPrefix("/") ? path : context.projectDirectory + "/" + path
    }

    private static func name(_ arguments: [LuaValue], _ function: String) throws -> String {
        guard let name = arguments.first?.stringValue else {
            throw LuaArgumentError(position: 1, function: function, problem: "session name expected")
        }
        return name
    }

    static func table(_ result: CommandResult) -> LuaValue {
        .map([
            "exit_code": .integer(Int64(result.exitCode)), "stdout": .string(result.stdout),
            "stderr": .string(result.stderr), "ok": .boolean(result.succeeded),
        ])
    }
}
