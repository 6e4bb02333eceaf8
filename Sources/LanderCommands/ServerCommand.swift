import ArgumentParser
import Foundation
import LanderHTTP
import LanderLoading
import LanderModel
import LanderService
import LanderStore

/// `lander server`: the workspace's deployments behind an HTTP API (docs/server.md).
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Serve a workspace's deployments over HTTP, and manage its API tokens.",
        subcommands: [ServeCommand.self, ServerStatusCommand.self, TokenCommand.self, ServerAgentCommand.self],
        defaultSubcommand: ServeCommand.self)
}

/// Where the workspace is, for the server's commands.
struct WorkspaceOption: ParsableArguments {
    @Option(help: ArgumentHelp("The workspace's folder (holding lander-workspace.yml).", valueName: "dir"))
    var workspace: String = "."

    @Option(
        help: ArgumentHelp(
            "The state store, instead of the workspace's: postgres://USER@HOST:PORT/DATABASE (password in "
                + "PGPASSWORD) for several servers sharing the work.", valueName: "path|url"))
    var store: String?

    /// The workspace (with `--store` as its store), or its problems printed and exit 2.
    func load() throws -> Workspace {
        let file = URL(fileURLWithPath: workspace).standardizedFileURL.appendingPathComponent(Workspace.fileName).path
        do {
            var loaded = try WorkspaceLoader.load(file: file)
            if let store { loaded.statePath = store }
            return loaded
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            printError("lander: the workspace \(file) cannot be served: \(error.diagnostics.count) problem(s)")
            throw ExitCode(ExitCodes.invalidProject)
        }
    }
}

/// `lander server [serve] --workspace DIR --listen HOST:PORT`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the server until SIGTERM or SIGINT.")

    @OptionGroup var location: WorkspaceOption

    @Option(help: ArgumentHelp("Where to listen: 127.0.0.1:PORT (0 lets the system pick).", valueName: "host:port"))
    var listen: String = "127.0.0.1:7350"

    @Option(help: "How many deployments run at once; the rest wait in the queue.")
    var maxRunning: Int = 4

    @Option(help: "Seconds running deployments get to finish on SIGTERM before they are cancelled.")
    var grace: Int = 30

    @Option(
        help: ArgumentHelp(
            "Where agents and other servers' agents reach this server (default: the --listen address); "
                + "recorded in the store, which agents learn every server from.", valueName: "url"))
    var advertise: String?

    @Option(help: ArgumentHelp("A PEM certificate chain: serve HTTPS (with --tls-key).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    func run() async throws {
        let tls: LanderServer.TLSFiles?
        switch (tlsCert, tlsKey) {
        case (let certificate?, let key?): tls = LanderServer.TLSFiles(certificate: certificate, key: key)
        case (nil, nil): tls = nil
        default:
            printError("lander: --tls-cert and --tls-key go together")
            throw ExitCode(ExitCodes.usage)
        }
        let (host, port) = try Self.address(listen, tls: tls != nil)
        if let advertise, URL(string: advertise).map({ ["http", "https"].contains($0.scheme ?? "") }) != true {
            printError("lander: --advertise \(advertise) is not an http(s) URL (https://lander-2.example.com:7350)")
            throw ExitCode(ExitCodes.usage)
        }
        let workspace = try location.load()
        let server: LanderServer
        do {
            server = try LanderServer(workspace: workspace, maxRunning: max(1, maxRunning), grace: .seconds(grace))
        } catch {
            printError("lander: \(error)")
            throw ExitCode(ExitCodes.refused)
        }
        let trap = SignalTrap { name in
            printError("lander server: \(name): taking no more work; running deployments get \(grace)s to finish")
            Task(executorPreference: server.store.executor) { await server.shutdown() }
        }
        defer { trap.release() }
        let name = workspace.name
        let count = workspace.members.count
        let scheme = tls == nil ? "http" : "https"
        do {
            try await server.run(host: host, port: port, tls: tls, advertise: advertise) { bound in
                printOutput(
                    "lander server: serving workspace \(name) (\(count) projects) on \(scheme)://\(host):\(bound)"
                        + (tls == nil ? " — plain HTTP, for loopback only" : ""))
            }
        } catch let error as ServerStartError {
            printError("lander: \(error)")
            throw ExitCode(ExitCodes.usage)
        }
    }

    /// `HOST:PORT`; without TLS refused unless the host is a loopback address (plain HTTP never leaves the machine).
    static func address(_ text: String, tls: Bool) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            printError("lander: --listen takes HOST:PORT, e.g. 127.0.0.1:7350; got '\(text)'")
            throw ExitCode(ExitCodes.usage)
        }
        let host = String(text[..<colon])
        guard tls || ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) || host.hasPrefix("127.") else {
            printError(
                "lander: plain HTTP is for loopback only: listen on 127.0.0.1, or give --tls-cert and --tls-key "
                    + "(--listen \(host):\(port) refused)")
            throw ExitCode(ExitCodes.usage)
        }
        return (host == "localhost" ? "127.0.0.1" : host, port)
    }
}

/// `lander server token create|list|revoke`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "API tokens: created once, stored hashed, checked on every request.",
        subcommands: [CreateToken.self, ListTokens.self, RevokeToken.self])

    struct CreateToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Make a token and print it once.")
        @OptionGroup var location: WorkspaceOption
        @Option(help: "viewer (reads), deployer (also deploys, cancels, resumes), admin (everything).")
        var role: String
        @Option(help: "Only this project.") var project: String?
        @Option(help: "Only this environment.") var environment: String?
        @Option(help: "A name for people (shown in lists and recorded with every change).") var name: String = "token"

        func run() async throws {
            guard let role = APIRole(rawValue: role) else {
                printError("lander: --role is viewer, deployer or admin, not '\(role)'")
                throw ExitCode(ExitCodes.usage)
            }
            let workspace = try location.load()
            if let project, workspace.member(named: project) == nil {
                printError("lander: no project '\(project)' in the workspace")
                throw ExitCode(ExitCodes.usage)
            }
            let store = try Deployer().openStore(atPath: workspace.statePath)
            let (token, record) = try APITokens(store: store).create(
                name: name, role: role, project: project, environment: environment)
            printOutput(token)
            printError(
                "token \(record.id) (\(record.name), \(record.role)"
                    + (project.map { ", project \($0)" } ?? "") + (environment.map { ", environment \($0)" } ?? "")
                    + "): shown once, stored hashed; give it to clients as LANDER_TOKEN")
        }
    }

    struct ListTokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The tokens (never their text).")
        @OptionGroup var location: WorkspaceOption

        func run() async throws {
            let store = try Deployer().openStore(atPath: try location.load().statePath)
            for token in try store.tokens() {
                printOutput(
                    "\(token.id)  \(token.name)  \(token.role)  project \(token.project ?? "*")  environment "
                        + "\(token.environment ?? "*")" + (token.revokedAt == nil ? "" : "  revoked"))
            }
        }
    }

    struct RevokeToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Stop a token working.")
        @OptionGroup var location: WorkspaceOption
        @Argument(help: "The token's id or name.") var token: String

        func run() async throws {
            let store = try Deployer().openStore(atPath: try location.load().statePath)
            guard try store.revokeToken(token) else {
                printError("lander: no live token '\(token)'")
                throw ExitCode(ExitCodes.refused)
            }
            printOutput("revoked \(token)")
        }
    }
}
