import Foundation
import LanderEngine
import LanderLoading
import LanderLua
import LanderModel
import LanderTesting
import LanderTransport
import Synchronization

/// A real project in a temporary directory: lander.yml, plugin files, and the targets' directories.
struct TestProject {
    let directory: URL

    /// The repository's `Plugins/` directory (shipped templates and hooks).
    static let shippedPlugins = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Plugins").path

    /// The repository's `examples/` directory.
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")

    /// Writes `lander.yml` and plugin files (`path → source`, under `plugins/`).
    init(yaml: String, plugins: [String: String] = [:]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lander-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try write("lander.yml", yaml)
        for (path, source) in plugins { try write("plugins/" + path, source) }
    }

    /// A copy of the fixture project `Tests/Fixtures/<name>/` with its placeholders filled from `values`, and
    /// more plugin files (`path → source`, under `plugins/`).
    init(fixture name: String, _ values: [String: String] = [:], plugins: [String: String] = [:]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lander-engine-\(UUID().uuidString)")
        try Fixture(name).copy(to: directory, values)
        for (path, source) in plugins { try write("plugins/" + path, source) }
    }

    /// A copy of an example project.
    init(example name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lander-engine-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.examples.appendingPathComponent(name), to: directory)
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(".lander"))
    }

    func write(_ path: String, _ contents: String) throws {
        let url = directory.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url, atomically: true, encoding: .utf8)
    }

    /// The text of a file under the project, if it exists.
    func read(_ path: String) -> String? {
        try? String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
    }

    /// The absolute path of a file under the project.
    func path(_ relative: String) -> String { directory.appendingPathComponent(relative).standardizedFileURL.path }

    var scripts: LuaScriptHost {
        LuaScriptHost(pluginPath: PluginPath([path("plugins"), Self.shippedPlugins]))
    }

    func load() throws -> Project {
        try ProjectLoader.load(file: path("lander.yml"))
    }

    func plan(
        _ environment: String = "test", version: String = "1.0.0", env: [String: String] = [:],
        packages: [ResolvedPackage] = []
    ) async throws -> Plan {
        let planner = Planner(
            project: try load(), projectDirectory: directory.standardizedFileURL.path,
            processEnvironment: ProcessInfo.processInfo.environment.merging(env) { $1 }, scripts: scripts)
        return try await planner.plan(
            environment: environment, release: Release(version: version, packages: packages))
    }

    /// Plans and runs a deployment; `whileRunning` gets the task to cancel it.
    func deploy(
        _ environment: String = "test", version: String = "1.0.0", env: [String: String] = [:],
        packages: [ResolvedPackage] = [], resume: ResumePoint = ResumePoint(),
        whileRunning: (@Sendable (_Concurrency.Task<DeploymentReport, Never>) async -> Void)? = nil
    ) async throws -> Run {
        let plan = try await plan(environment, version: version, env: env, packages: packages)
        let events = Events()
        let base = ProcessInfo.processInfo.environment.merging(env) { $1 }
        let deployment = Deployment(
            plan: plan, scripts: scripts, sessionGrace: .milliseconds(500),
            connect: { target in
                var transport = LocalTransport(target: target.name, root: target.root, environment: base)
                transport.stopGrace = .milliseconds(500)
                return transport
            }, resume: resume, events: { events.add($0.event) })
        let task = _Concurrency.Task { await deployment.run() }
        if let whileRunning { await whileRunning(task) }
        return Run(report: await task.value, events: events.all, project: self)
    }
}

/// A finished deployment: its report and every event.
struct Run {
    let report: DeploymentReport
    let events: [DeploymentEvent]
    let project: TestProject

    /// The record of a task on a target.
    func record(_ step: String, _ target: String, task: String? = nil) -> TargetRecord? {
        report.records.first { $0.step == step && $0.target == target && (task == nil || $0.task == task) }
    }

    /// Lines scripts logged.
    var logs: [String] {
        events.compactMap { if case .log(_, let message, _, _, _) = $0 { message } else { nil } }
    }
}

/// Events collected from many tasks.
final class Events: Sendable {
    private let events = Mutex<[DeploymentEvent]>([])
    func add(_ event: DeploymentEvent) { events.withLock { $0.append(event) } }
    var all: [DeploymentEvent] { events.withLock { $0 } }
}

/// Waits until a file exists and has content (a process wrote its pid, say).
func waitForFile(_ path: String) async throws -> String {
    for _ in 0..<500 {
        if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n") { return text }
        try await _Concurrency.Task.sleep(for: .milliseconds(10))
    }
    throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
}

/// Whether a process runs (a zombie awaiting its reaper does not).
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    return stat.split(separator: ")").last?.split(separator: " ").first != "Z"
}

/// Waits (bounded) for a process to be gone; returns whether it went.
func waitUntilGone(_ pid: Int32) async -> Bool {
    for _ in 0..<200 where isAlive(pid) { try? await _Concurrency.Task.sleep(for: .milliseconds(10)) }
    return !isAlive(pid)
}
