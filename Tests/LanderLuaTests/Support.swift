import Foundation
import LanderLua

/// A temporary plugin directory tree that tests write modules into.
struct PluginTree {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("lander-plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// Writes `source` at a path relative to the root, creating directories.
    func write(_ relative: String, _ source: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try source.write(to: url, atomically: true, encoding: .utf8)
    }

    var path: String { root.path }
}

/// Collects what scripts print and log, from any thread.
final class Transcript: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    func append(_ line: String) {
        lock.lock()
        storage.append(line)
        lock.unlock()
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

extension LuaRuntime {
    /// A runtime whose output goes to a transcript.
    static func testing(
        limits: LuaLimits = .default, plugins: [String] = [], transcript: Transcript = Transcript()
    ) throws -> LuaRuntime {
        try LuaRuntime(
            limits: limits, pluginPath: PluginPath(plugins), output: { transcript.append($0) },
            log: { level, message in transcript.append("\(level.rawValue): \(message)") })
    }

    /// Runs a one-off chunk named `test.lua`.
    func eval(_ source: String, chunk: String = "test.lua") async throws -> [LuaValue] {
        try await run(source: source, chunk: chunk)
    }
}

/// Catches the LuaError a body throws.
func luaError(_ body: () async throws -> Void) async -> LuaError? {
    do {
        try await body()
        return nil
    } catch let error as LuaError {
        return error
    } catch {
        return nil
    }
}
