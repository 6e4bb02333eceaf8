import ArgumentParser
import Foundation
import LanderEngine
import LanderLoading

/// A deployment asked of a server: queued there, then followed through its event stream with the same
/// reporter as a local one; Ctrl-C or SIGTERM asks the server to cancel it. The exit code is its outcome.
struct RemoteDeploy {
    let client: APIClient
    let reporter: Reporter

    func run(project: String, environment: String, version: String?, release: String?, packages: [String: String])
        async throws
    {
        var body: [String: Any] = ["project": project, "environment": environment]
        if let version { body["version"] = version }
        if let release { body["release"] = release }
        if !packages.isEmpty { body["packages"] = packages }
        // An unknown project or environment is lander.yml's problem, as locally (exit 2).
        try await start("/deployments", body: body, notFound: ExitCodes.invalidProject)
    }

    /// Asks the server for something that starts a deployment (`POST path` with `body`), then follows it.
    func start(_ path: String, body: [String: Any], notFound: Int32 = ExitCodes.refused) async throws {
        let data = try await client.send(
            "POST", path, body: try JSONSerialization.data(withJSONObject: body), notFound: notFound)
        guard let id = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["id"] as? String else {
            printError("lander: the server gave no deployment id")
            throw ExitCode(ExitCodes.refused)
        }
        try await follow(id)
    }

    /// Follows a deployment on the server to its end through the reporter; its outcome is the exit code.
    func follow(_ id: String) async throws {
        let client = self.client
        let trap = SignalTrap { [reporter] signal in
            reporter.note("received \(signal); asking the server to cancel \(id)")
            Task { _ = try? await client.send("POST", "/deployments/\(id)/cancel") }
        }
        defer { trap.release() }
        var events: [EventEnvelope] = []
        for await envelope in client.events(of: id) {
            events.append(envelope)
            reporter.handle(envelope)
        }
        guard let report = DeploymentReport(events: events) else {
            // Refused when its turn came (say, its project's lander.yml broke while it waited): the queue says why.
            let view = (try? await client.send("GET", "/deployments/\(id)")).flatMap {
                (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any]
            }
            let queued = view?["queue"] as? [String: Any]
            if queued?["state"] as? String == "refused", let detail = queued?["detail"] as? String {
                printError("lander: the server refused \(id) when its turn came: \(detail)")
            } else {
                printError(
                    "lander: the server's event stream for \(id) ended before the deployment did; see `lander show \(id)`"
                )
            }
            throw ExitCode(ExitCodes.refused)
        }
        reporter.finish(report)
        switch report.outcome {
        case .succeeded: return
        case .failed: throw ExitCode(ExitCodes.failed)
        case .cancelled: throw ExitCode(ExitCodes.cancelled)
        }
    }

    /// The project's name: `-p NAME`, else the `project:` of the lander.yml given.
    static func projectName(_ options: ProjectOptions) throws -> String {
        if let name = options.name { return name }
        do {
            return try ProjectLoader.load(file: options.absoluteFile).name
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            throw ExitCode(ExitCodes.invalidProject)
        }
    }
}
