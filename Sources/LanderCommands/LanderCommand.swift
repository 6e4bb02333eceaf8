public import ArgumentParser

/// The `lander` command line.
public struct LanderCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lander",
        abstract: "Deploy projects to many machines: steps in order, tasks in parallel, extended in Lua.",
        version: landerVersion,
        subcommands: [
            ValidateCommand.self, PlanCommand.self, DeployCommand.self, ReleaseCommand.self, HistoryCommand.self,
            ShowCommand.self,
            LogsCommand.self, StatusCommand.self, ResumeCommand.self, AbandonCommand.self, RollbackCommand.self,
            LuaCommand.self,
        ]
    )

    public init() {}
}

/// The version `lander --version` prints.
public let landerVersion = "0.1.0"

extension LanderCommand {
    /// Parses the process arguments, runs the command and exits with its code.
    public static func start() async {
        StandardStream.ignoreBrokenPipes()
        await main()
    }
}
