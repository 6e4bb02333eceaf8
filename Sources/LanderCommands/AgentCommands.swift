import ArgumentParser
import Foundation
import LanderAgent
import LanderModel
import LanderService
import LanderStore

/// `lander server agent enroll | list | revoke`: the agents of locked-down targets.
struct ServerAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Agents on targets that accept no inbound connection: enrol, list, revoke.",
        subcommands: [Enroll.self, List.self, Revoke.self])

    /// `lander server agent enroll`.
    struct Enroll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a one-time enrolment token for an agent of an environment and roles; printed once.")
        @OptionGroup var location: WorkspaceOption
        @Option(help: "The environment the agent serves.") var environment: String
        @Option(help: "Its roles there, comma-separated.") var roles: String
        @Option(help: "Minutes the token stays usable.") var minutes: Int = 60

        func run() async throws {
            let workspace = try location.load()
            let environments = Set(workspace.members.flatMap(\.environments))
            guard environments.contains(environment) else {
                printError(
                    "lander: no project of the workspace defines environment '\(environment)'; they define "
                        + environments.sorted().joined(separator: ", "))
                throw ExitCode(ExitCodes.usage)
            }
            let roleList = roles.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            guard !roleList.isEmpty else {
                printError("lander: --roles names at least one role (app,db)")
                throw ExitCode(ExitCodes.usage)
            }
            let store = try Deployer().openStore(atPath: workspace.statePath)
            let token = AgentAuth.newEnrollmentToken()
            try store.createEnrollment(
                tokenHash: BearerToken.hash(token), environment: environment, roles: roleList,
                lifetime: .seconds(max(1, minutes) * 60))
            printOutput(token)
            printError(
                "enrolment token for an agent of \(environment) (\(roleList.joined(separator: ","))): one use, "
                    + "\(minutes) minutes; run on the target: lander agent --server URL --enroll TOKEN --name NAME "
                    + "--work-dir DIR")
        }
    }

    /// `lander server agent list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The enrolled agents, and the audit with --audit.")
        @OptionGroup var location: WorkspaceOption
        @Flag(help: "Also print the audit: enrolments, connections and every refusal.") var audit = false

        func run() async throws {
            let store = try Deployer().openStore(atPath: try location.load().statePath)
            let agents = try store.agents()
            if agents.isEmpty { printOutput("no agents enrolled") }
            for agent in agents {
                var line = "\(agent.name)  \(agent.environment)  \(agent.roles.joined(separator: ","))"
                line += agent.revokedAt == nil ? "" : "  revoked"
                line += agent.lastSeenAt.map { "  last seen \(UTCTime.seconds($0))" } ?? "  never connected"
                printOutput(line)
            }
            guard audit else { return }
            for entry in try store.agentAudit() {
                printOutput("\(UTCTime.seconds(entry.at))  \(entry.agent ?? "?")  \(entry.outcome)  \(entry.detail)")
            }
        }
    }

    /// `lander server agent revoke NAME`.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop an agent: it cannot connect again, and a server drops its connection.")
        @OptionGroup var location: WorkspaceOption
        @Argument(help: "The agent's name.") var name: String

        func run() async throws {
            let store = try Deployer().openStore(atPath: try location.load().statePath)
            guard try store.revokeAgent(name) else {
                printError("lander: no live agent '\(name)'")
                throw ExitCode(ExitCodes.refused)
            }
            printOutput("revoked agent \(name)")
        }
    }
}

/// `lander agent`: run on a target that accepts no inbound connection; it connects out to the server.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Connect out to a Lander server and serve it as this target's transport (docs/agent.md).")
    @Option(
        help: ArgumentHelp(
            "A server's URL (https://… off loopback); repeat for several. The agent also connects to every "
                + "server the store lists (each advertises its address).", valueName: "url"))
    var server: [String] = []
    @Option(help: "A one-time token from `lander server agent enroll` (first run only).") var enroll: String?
    @Option(help: "This agent's name (what targets' `agent:` names).") var name: String
    @Option(help: "Where it keeps its identity and works.") var workDir: String
    @Option(help: ArgumentHelp("A CA bundle the server's certificate chains to.", valueName: "file")) var caFile:
        String?
    @Option(
        help: ArgumentHelp(
            "The DNS name in the server's certificate, when --server is an IP address.", valueName: "name"))
    var tlsName: String?

    func run() async throws {
        let urls = try serverURLs()
        let workDir = URL(fileURLWithPath: self.workDir).standardizedFileURL.path
        let client = AgentClient(servers: urls, name: name, workDir: workDir, caFile: caFile, tlsName: tlsName) {
            printError($0)
        }
        var identity = try AgentIdentity.load(from: workDir)
        if let known = identity, known.name != name {
            printError("lander: \(AgentIdentity.file(in: workDir)) is agent '\(known.name)', not '\(name)'")
            throw ExitCode(ExitCodes.usage)
        }
        if identity == nil {
            guard let enroll else {
                printError("lander: agent '\(name)' is not enrolled in \(workDir); give --enroll TOKEN once")
                throw ExitCode(ExitCodes.usage)
            }
            do {
                identity = try await client.enroll(token: enroll, name: name)
            } catch {
                printError("lander: \(error)")
                throw ExitCode(ExitCodes.refused)
            }
        }
        guard let identity else { return }
        printError(
            "lander agent \(name): enrolled for \(identity.environment) (\(identity.roles.joined(separator: ",")))")
        // SIGTERM or Ctrl-C: what the server sent is stopped (process groups, sessions) before the agent exits.
        let running = Task { await client.run(identity) }
        let trap = SignalTrap { name in
            printError("lander agent \(identity.name): \(name): stopping what it runs, then exiting")
            running.cancel()
        }
        defer { trap.release() }
        let stopped = await running.value
        printError("lander: \(stopped)")
        throw ExitCode(stopped.refused ? ExitCodes.refused : 0)
    }

    /// The `--server` URLs, or a usage error naming the one that cannot be used.
    private func serverURLs() throws -> [URL] {
        guard !server.isEmpty else {
            printError("lander: give --server URL (the server the agent enrols with and connects to)")
            throw ExitCode(ExitCodes.usage)
        }
        return try server.map { text in
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? "") else {
                printError("lander: --server \(text) is not an http(s) URL")
                throw ExitCode(ExitCodes.usage)
            }
            if url.scheme == "https", tlsName == nil, let host = url.host,
                host.allSatisfy({ $0.isNumber || $0 == "." })
            {
                printError(
                    "lander: --server \(text) is an IP address; give --tls-name with the DNS name its certificate "
                        + "carries (TLS checks the certificate against a name)")
                throw ExitCode(ExitCodes.usage)
            }
            return url
        }
    }
}
