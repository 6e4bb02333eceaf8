import Foundation
public import LanderTransport

/// Programs hooks leave running on the orchestrator from one point to a later one — an SSH tunnel opened
/// in `pre_upload` and closed in `finally`. Whatever is still running when the deployment ends is stopped.
public actor HookProcesses {
    private let directory: String
    private let environment: [String: String]
    private var running: [String: any BackgroundCommand] = [:]

    /// Processes started in `directory` (the project's) with Lander's environment.
    public init(directory: String, environment: [String: String]? = nil) {
        self.directory = directory
        self.environment = environment ?? ProcessInfo.processInfo.environment
    }

    /// Starts a program under a name no other running one has; returns its pid.
    public func start(_ name: String, _ argv: [String]) async throws(TransportError) -> Int32 {
        if let existing = running[name], existing.isRunning {
            throw TransportError(target: "lander", message: "a process named '\(name)' is already running")
        }
        let local = LocalTransport(target: "lander", root: directory, environment: environment)
        let process = try await local.spawn(Command(argv))
        running[name] = process
        return process.pid
    }

    /// Whether the named process runs.
    public func isRunning(_ name: String) -> Bool { running[name]?.isRunning ?? false }

    /// Stops the named process (its process group: SIGTERM, then SIGKILL after `grace`); nil if none.
    public func stop(_ name: String, grace: Duration = .seconds(3)) async -> CommandResult? {
        guard let process = running.removeValue(forKey: name) else { return nil }
        return await process.close(grace: grace)
    }

    /// Stops every process still running; returns their names.
    public func stopAll(grace: Duration = .seconds(3)) async -> [String] {
        let left = running
        running = [:]
        let stillRunning = left.filter { $0.value.isRunning }.map(\.key).sorted()
        for (_, process) in left { _ = await process.close(grace: grace) }
        return stillRunning
    }
}
