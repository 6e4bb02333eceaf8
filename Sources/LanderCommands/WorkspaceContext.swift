import ArgumentParser
import Foundation
import LanderLua
import LanderModel
import LanderNotify
import LanderService
import LanderStore

/// The workspace of the current folder, its store and the service over it: what the subscription, report
/// and schedule commands work on.
struct WorkspaceContext {
    let workspace: Workspace
    let store: StateStore
    let deployer: Deployer

    /// The workspace here (the folder or one above it), or a usage error saying what `command` needs.
    static func here(_ options: StoreOptions, command: String) throws -> WorkspaceContext {
        let here = FileManager.default.currentDirectoryPath
        let deployer = options.deployer
        do {
            guard let workspace = try Deployer.workspace(forProjectIn: here) else {
                printError(
                    "lander: \(command) works on a workspace, and no \(Workspace.fileName) lists \(here) or is in it; "
                        + "run it at the workspace root or in a member's folder")
                throw ExitCode(ExitCodes.usage)
            }
            let store = try deployer.openStore(atPath: options.path ?? workspace.statePath)
            return WorkspaceContext(workspace: workspace, store: store, deployer: deployer)
        } catch let error as ServiceError {
            throw refusal(error)
        }
    }

    /// The outbox of this workspace (formatters found on its plugin path).
    var outbox: Outbox {
        Outbox(workspace: workspace, store: store, pluginPath: PluginPath.standard(project: workspace.plugins))
    }
}

/// How long a command that recorded events waits, before it exits, for their deliveries (what is left is
/// sent by the next process or the server): `LANDER_DELIVERY_WAIT` seconds, 10 unless set.
var deliveryWait: Duration {
    let seconds = ProcessInfo.processInfo.environment["LANDER_DELIVERY_WAIT"].flatMap(Double.init) ?? 10
    return .milliseconds(Int64(seconds * 1000))
}

/// Runs `body` with the workspace's outbox at work (when the project in `directory` is in a workspace with
/// subscriptions): events are sent while it runs, and those still due are sent within `deliveryWait`
/// before it returns or throws. `deployer` is the one the command deploys with, so the store is opened once.
/// A delivery problem is said, never fails the command.
func withDeliveries<T>(
    in directory: String, deployer: Deployer, store options: StoreOptions, _ body: () async throws -> T
) async throws -> T {
    guard let workspace = try? Deployer.workspace(forProjectIn: directory),
        !workspace.subscriptions.isEmpty,
        let store = try? deployer.openStore(atPath: options.path ?? workspace.statePath)
    else { return try await body() }
    let outbox = Outbox(workspace: workspace, store: store, pluginPath: PluginPath.standard(project: workspace.plugins))
    do {
        try outbox.prepare()
    } catch {
        printError("lander: warning: subscriptions: \(error); events are delivered by the next process")
        return try await body()
    }
    let running = Task(executorPreference: store.executor) { await outbox.run { printError("lander: warning: \($0)") } }
    let result: Result<T, any Error>
    do {
        result = .success(try await body())
    } catch {
        result = .failure(error)
    }
    running.cancel()
    await running.value
    do {
        try await outbox.drain(within: deliveryWait)
    } catch {
        printError("lander: warning: subscriptions: \(error); what is left is delivered by the next process")
    }
    return try result.get()
}
