import ArgumentParser
import Foundation
import LanderService
import LanderStore

/// `lander server status`: the servers sharing the workspace's store, their load, and what each runs.
struct ServerStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The servers sharing the workspace's store: alive or not, their load, what each runs.")

    @OptionGroup var location: WorkspaceOption

    @Flag(help: "One JSON object, for tools.")
    var json = false

    func run() async throws {
        let store: StateStore
        let servers: [ServerRecord]
        let runningOn: [String: String]
        let waiting: Int
        do {
            store = try Deployer().openStore(atPath: try location.load().statePath)
            servers = try store.servers()
            runningOn = try store.serversOfRunningDeployments()
            waiting = try store.queued().count
        } catch let error as ServiceError {
            throw refusal(error)
        } catch {
            throw refuse(error)
        }
        if json {
            struct View: Encodable {
                var servers: [ServerRecord]
                var running: [String: String]
                var queued: Int
            }
            printOutput(jsonText(View(servers: servers, running: runningOn, queued: waiting)))
            return
        }
        let now = Date()
        for server in servers {
            let state = server.alive ? "alive" : server.stoppedAt == nil ? "gone" : "stopped"
            let heard = WorkspaceStatus.age(now.timeIntervalSince(server.heartbeatAt))
            printOutput(
                "\(server.id)  \(server.address ?? "-")  \(state)  \(server.running)/\(server.capacity) running  "
                    + "heard from \(heard) ago")
            for (deployment, owner) in runningOn.sorted(by: { $0.key < $1.key }) where owner == server.id {
                printOutput("  runs \(deployment)")
            }
        }
        printOutput("\(servers.filter(\.alive).count) of \(servers.count) servers alive; \(waiting) queued")
    }
}
