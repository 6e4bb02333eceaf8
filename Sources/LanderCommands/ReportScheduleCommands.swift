import ArgumentParser
import Foundation
import LanderModel
import LanderNotify
import LanderService
import LanderStore

/// `--format` of `lander report`.
enum ReportFormatOption: String, ExpressibleByArgument, CaseIterable {
    case text, markdown, html, json

    var format: ReportFormat { ReportFormat(rawValue: rawValue) ?? .text }
}

/// `lander report`: every project's deployments in a window, per environment.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report the deployments of a day or of the last hours: outcome, duration, who, failures, undoing.")
    @OptionGroup var store: StoreOptions
    @Option(help: "A UTC day, YYYY-MM-DD.") var day: String?
    @Option(help: "The last span of time (24h, 90m); the default is 24h.") var since: String?
    @Option(help: "Only this environment.") var environment: String?
    @Option(help: "text, markdown, html or json.") var format: ReportFormatOption = .text

    func run() async throws {
        let (from, to) = try window(now: Date())
        let context = try WorkspaceContext.here(store, command: "report")
        do {
            let report = try ActivityReport.build(store: context.store, from: from, to: to, environment: environment)
            StandardStream.output.write(report.render(format.format))
        } catch {
            throw refuse(error)
        }
    }

    func window(now: Date) throws -> (Date, Date) {
        if day != nil && since != nil {
            printError("lander: give --day or --since, not both")
            throw ExitCode(ExitCodes.usage)
        }
        if let day {
            guard let start = UTCTime.date(day, "yyyy-MM-dd") else {
                printError("lander: --day \(day) is not a day; write it YYYY-MM-DD (UTC), e.g. 2026-12-01")
                throw ExitCode(ExitCodes.usage)
            }
            return (start, start.addingTimeInterval(86400))
        }
        let text = since ?? "24h"
        guard let span = Duration.parse(text, days: true), span.seconds > 0 else {
            printError("lander: --since \(text) is not a span of time; write it like 24h, 90m or 3600s")
            throw ExitCode(ExitCodes.usage)
        }
        return (now.addingTimeInterval(-span.seconds), now)
    }
}

/// `lander schedule list | run-due`.
struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "The workspace's schedules: when they run next, how they ran.",
        subcommands: [List.self, RunDue.self])

    /// `lander schedule list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the schedules with their next and last runs.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        struct Row: Encodable {
            var name: String, cron: String, timeZone: String, action: String
            var next: Date?
            var last: ScheduleRunRecord?
        }

        func run() async throws {
            let context = try WorkspaceContext.here(store, command: "schedule list")
            var rows: [Row] = []
            for schedule in context.workspace.schedules {
                let last = (try? context.store.scheduleRuns(schedule.name, limit: 1))?.first
                rows.append(
                    Row(
                        name: schedule.name, cron: schedule.cron.text, timeZone: schedule.timeZone,
                        action: schedule.action.summary,
                        next: schedule.cron.next(after: Date(), in: Scheduler.zone(of: schedule)), last: last))
            }
            if json {
                printOutput(jsonText(rows))
                return
            }
            if rows.isEmpty { printOutput("no schedules in \(context.workspace.file)") }
            for row in rows {
                printOutput("\(row.name)  \"\(row.cron)\" \(row.timeZone)  \(row.action)")
                printOutput("    next: \(row.next.map(UTCTime.seconds) ?? "never")")
                if let last = row.last {
                    printOutput(
                        "    last: \(UTCTime.seconds(last.dueAt)) \(last.outcome)"
                            + (last.detail.map { ": \($0)" } ?? "")
                            + (last.deployment.map { " (deployment \($0))" } ?? ""))
                } else {
                    printOutput("    last: never ran")
                }
            }
        }
    }

    /// `lander schedule run-due`.
    struct RunDue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-due",
            abstract: "Run every schedule that is due and not yet run (for teams that use cron instead of a server).")
        @OptionGroup var store: StoreOptions
        @Option(help: "Judge what is due at this time (ISO 8601, e.g. 2026-12-01T09:00:00Z) instead of now.")
        var now: String?

        func run() async throws {
            let context = try WorkspaceContext.here(store, command: "schedule run-due")
            var at = Date()
            if let now {
                guard let parsed = ISO8601DateFormatter().date(from: now) else {
                    printError("lander: --now \(now) is not an ISO 8601 time such as 2026-12-01T09:00:00Z")
                    throw ExitCode(ExitCodes.usage)
                }
                at = parsed
            }
            let outbox = context.outbox
            let claims: [ScheduleClaim]
            do {
                claims = try Scheduler(workspace: context.workspace, store: context.store).claimDue(now: at)
            } catch {
                throw refuse(error)
            }
            if claims.isEmpty { printOutput("nothing is due") }
            var failed = false
            for claim in claims {
                printOutput(
                    "\(claim.schedule.name): due \(UTCTime.seconds(claim.dueAt)): \(claim.schedule.action.summary)")
                let outcome = await context.deployer.run(
                    claim, in: context.workspace, store: context.store,
                    mail: { subject, body in
                        try outbox.enqueueReport(
                            schedule: claim.schedule.name, dueAt: claim.dueAt, subject: subject, body: body)
                    }, progress: { printOutput("  \($0)") })
                printOutput("\(claim.schedule.name): \(outcome.outcome): \(outcome.detail)")
                failed = failed || outcome.outcome != "succeeded"
            }
            if outbox.isActive { try? await outbox.drain(within: deliveryWait) }
            if failed { throw ExitCode(ExitCodes.failed) }
        }
    }
}
