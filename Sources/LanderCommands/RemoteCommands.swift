import ArgumentParser
import Foundation
import LanderStore

/// What `GET /api/v1/deployments/ID` answers, as `lander show` reads it.
struct RemoteDeploymentView: Decodable {
    var id: String
    var state: String
    var position: Int?
    var why: String?
    var deployment: DeploymentRecord?
    var children: [DeploymentRecord]
    var targetSteps: [TargetStepRecord]
    var rollout: [RolloutRecord]
    var notes: [StepNote]
    var calls: [CallAudit]
}

/// `lander cancel ID --server URL`: asks the server to cancel a queued or running deployment.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a deployment a server runs or has queued (locally, Ctrl-C the deploy).")

    @Argument(help: "The deployment's id.")
    var id: String

    @OptionGroup var remote: ServerOptions

    func run() async throws {
        guard let client = try remote.client() else {
            printError(
                "lander: cancel goes through a server (--server URL or LANDER_SERVER); locally, Ctrl-C the deploy")
            throw ExitCode(ExitCodes.usage)
        }
        let data = try await client.send("POST", "/deployments/\(id)/cancel")
        let state = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["state"] as? String ?? "?"
        printOutput("\(id): \(state)")
    }
}
