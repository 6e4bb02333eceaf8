import ArgumentParser
import Foundation
import LanderModel
import LanderNotify
import LanderStore

/// `lander subscriptions list | deliveries | replay | test | send`: the workspace's subscriptions and their
/// outbox.
struct SubscriptionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscriptions",
        abstract: "The workspace's subscriptions (webhooks, email) and what they delivered.",
        subcommands: [List.self, Deliveries.self, Replay.self, Test.self, Send.self])

    /// `lander subscriptions list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the subscriptions and their filters.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let context = try WorkspaceContext.here(store, command: "subscriptions list")
            let rows = context.workspace.subscriptions.map(Self.row)
            if json {
                printOutput(jsonText(rows))
                return
            }
            if rows.isEmpty { printOutput("no subscriptions in \(context.workspace.file)") }
            for row in rows {
                printOutput("\(row.name)  \(row.destination)  \(row.filter)")
            }
        }

        struct Row: Encodable {
            var name: String, destination: String, filter: String
        }

        static func row(_ subscription: Subscription) -> Row {
            let destination: String
            switch subscription.destination {
            case .webhook(let webhook):
                destination = "webhook \(webhook.url.described)" + (webhook.format.map { " (format \($0))" } ?? "")
            case .email(let email):
                destination =
                    "email \(email.to.joined(separator: ", "))"
                    + (email.digest.map { " (digest every \(Int($0.seconds))s)" } ?? "")
            }
            var filter: [String] = []
            if let group = subscription.group {
                let version: String =
                    switch group.version {
                    case .exactly(let version): version
                    case .same: "one version"
                    case .wave: "one release wave"
                    }
                filter.append(
                    "when \(group.projects.joined(separator: ", ")) all reach \(version) in \(group.environment)")
            } else {
                filter.append(subscription.events.map(\.rawValue).sorted().joined(separator: ","))
            }
            if !subscription.projects.isEmpty {
                filter.append("projects " + subscription.projects.joined(separator: ","))
            }
            if !subscription.environments.isEmpty {
                filter.append("environments " + subscription.environments.joined(separator: ","))
            }
            return Row(name: subscription.name, destination: destination, filter: filter.joined(separator: "; "))
        }
    }

    /// `lander subscriptions deliveries [--failed]`.
    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the outbox: what was delivered, what waits for a retry, what is dead.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Only dead deliveries and those that failed at least once.") var failed = false
        @Option(help: "Only this subscription's.") var subscription: String?
        @Option(help: "How many, newest first.") var limit = 50
        @Flag(help: "Print JSON (bodies included).") var json = false

        func run() async throws {
            let context = try WorkspaceContext.here(store, command: "subscriptions deliveries")
            let records: [DeliveryRecord]
            do {
                records = try context.store.deliveries(failed: failed, subscription: subscription, limit: limit)
            } catch {
                throw refuse(error)
            }
            if json {
                printOutput(jsonText(records))
                return
            }
            if records.isEmpty { printOutput(failed ? "no failed deliveries" : "no deliveries") }
            for record in records { printOutput(Self.line(record)) }
        }

        static func line(_ record: DeliveryRecord) -> String {
            var line =
                "\(record.id)  \(record.subscription)  \(record.eventKind)  \(record.state)  "
                + "\(record.attempts) attempt\(record.attempts == 1 ? "" : "s")"
            if let deployment = record.deployment { line += "  deployment \(deployment)" }
            if record.state == "pending" { line += "  next \(UTCTime.seconds(record.nextAttemptAt))" }
            if let error = record.lastError, record.state != "delivered" { line += "\n    \(error)" }
            return line
        }
    }

    /// `lander subscriptions replay ID`.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Send a delivery again (same body, same idempotency key), e.g. a dead one once its receiver is fixed.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The delivery's id (lander subscriptions deliveries).") var id: Int64

        func run() async throws {
            let context = try WorkspaceContext.here(store, command: "subscriptions replay")
            do {
                guard try context.store.replay(delivery: id) else {
                    printError("lander: no delivery \(id) to replay (lander subscriptions deliveries lists them)")
                    throw ExitCode(ExitCodes.usage)
                }
                try await context.outbox.drain(within: deliveryWait)
                guard let record = try context.store.delivery(id) else { return }
                printOutput(Deliveries.line(record))
                if record.state != "delivered" { throw ExitCode(ExitCodes.failed) }
            } catch let error as StoreError {
                throw refuse(error)
            }
        }
    }

    /// `lander subscriptions test NAME`.
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a test event to a subscription's destination now and say how it went.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The subscription.") var name: String

        func run() async throws {
            let context = try WorkspaceContext.here(store, command: "subscriptions test")
            let record: DeliveryRecord
            do {
                record = try await context.outbox.test(name)
            } catch {
                printError("lander: \(error)")
                throw ExitCode(ExitCodes.usage)
            }
            printOutput(Deliveries.line(record))
            if record.state != "delivered" { throw ExitCode(ExitCodes.failed) }
        }
    }

    /// `lander subscriptions send`.
    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Collect new events and send what is due (for teams without a server: run it from cron).")
        @OptionGroup var store: StoreOptions
        @Option(help: "Keep sending retries that fall due within this many seconds.") var wait: Double = 0

        func run() async throws {
            let context = try WorkspaceContext.here(store, command: "subscriptions send")
            do {
                try await context.outbox.drain(within: .milliseconds(Int64(wait * 1000)))
                let failed = try context.store.deliveries(failed: true, limit: 1_000).filter { $0.state == "pending" }
                printOutput(failed.isEmpty ? "outbox: nothing waits" : "outbox: \(failed.count) waiting for a retry")
            } catch {
                throw refuse(error)
            }
        }
    }
}
