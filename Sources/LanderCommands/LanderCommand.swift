public import ArgumentParser

/// The `lander` command line.
public struct LanderCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lander",
        abstract: "Deploy projects to many machines: steps in order, tasks in parallel, extended in Lua.",
        discussion: "`lander --version` prints the version.",
        subcommands: [
            ValidateCommand.self, PlanCommand.self, DeployCommand.self, ReleaseCommand.self, HistoryCommand.self,
            ShowCommand.self,
            LogsCommand.self, StatusCommand.self, ResumeCommand.self, AbandonCommand.self, RollbackCommand.self,
            PromoteCommand.self, LuaCommand.self, ServerCommand.self, CancelCommand.self, SubscriptionsCommand.self,
            ReportCommand.self, ScheduleCommand.self, AgentCommand.self, StoreCommand.self,
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
        // `lander --version` is answered here, not through `configuration.version`: ArgumentParser would
        // then add its own `--version` to every subcommand, beside the `--version V` of deploy and plan.
        if Array(CommandLine.arguments.dropFirst()) == ["--version"] {
            printOutput(landerVersion)
            return
        }
        await main()
    }
}
