import Foundation
import LanderEngine
import Synchronization
import Testing

@testable import LanderService

/// Deployments started as library calls: two at once from one process, one cancelled through its handle.
@Suite struct DeployerTests {
    /// A one-target project under a fresh directory whose `work` step runs `command`.
    static func project(_ name: String, command: String) throws -> (file: String, root: URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lander-service-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let file = root.appendingPathComponent("lander.yml")
        try """
        project: \(name)
        environments:
          test:
            targets:
              t1: { root: \(root.path)/t1, roles: [app] }
        steps:
          - { name: work, on: app, run: [sh, -c, "\(command)"] }
          - { name: after, on: app, run: [touch, after.txt] }
        """.write(to: file, atomically: true, encoding: .utf8)
        return (file.path, root)
    }

    @Test func twoDeploymentsRunAtOnceAndCancellingOneLeavesTheOtherAlone() async throws {
        let slow = try Self.project("slow", command: "touch started; sleep 30")
        let quick = try Self.project("quick", command: "sleep 0.5; echo done > done.txt")
        let deployer = Deployer()
        let first = try await deployer.deploy(
            DeploymentRequest(project: .file(slow.file), environment: "test", version: .version("1")))
        let second = try await deployer.deploy(
            DeploymentRequest(project: .file(quick.file), environment: "test", version: .version("2")))
        #expect(Set(deployer.running.ids) == [first.id, second.id])
        async let firstEvents = Self.kinds(first.events)
        async let secondEvents = Self.kinds(second.events)
        let started = slow.root.appendingPathComponent("t1/started").path
        for _ in 0..<3000 where !FileManager.default.fileExists(atPath: started) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(deployer.running.cancel(first.id))
        let cancelled = try await first.report()
        let finished = try await second.report()
        #expect(cancelled.outcome == .cancelled)
        #expect(finished.outcome == .succeeded, "\(finished.error ?? "")")
        #expect(FileManager.default.fileExists(atPath: quick.root.appendingPathComponent("t1/after.txt").path))
        #expect(!FileManager.default.fileExists(atPath: slow.root.appendingPathComponent("t1/after.txt").path))
        let (firstKinds, secondKinds) = await (firstEvents, secondEvents)
        #expect(firstKinds.last == "deploymentFinished")
        #expect(secondKinds.first == "deploymentStarted" && secondKinds.last == "deploymentFinished")
        #expect(deployer.running.ids.isEmpty, "both left the registry")
        // Each was recorded in its own project's store.
        let store = try deployer.openStore(forProjectIn: slow.root.path)
        #expect(try store.deployment(first.id).status == "cancelled")
    }

    @Test func aChildDeploymentGoesThroughTheServiceAndReportsHowItEnded() async throws {
        let good = try Self.project("child", command: "echo $LANDER_RELEASE > version.txt")
        let bad = try Self.project("broken-child", command: "exit 7")
        let deployer = Deployer()
        let children = ChildLauncher(deployer: deployer, parent: "parent-1", directory: good.root.path, workspace: nil)
        let done = try await children.deployAndWait(
            ChildDeploymentRequest(project: good.file, environment: "test", version: "3.1", parent: "parent-1"),
            progress: { _ in })
        #expect(done.outcome == .succeeded, "\(done.error ?? "")")
        let written = try String(contentsOf: good.root.appendingPathComponent("t1/version.txt"), encoding: .utf8)
        #expect(written == "3.1\n")
        let record = try deployer.openStore(forProjectIn: good.root.path).deployment(try #require(done.id))
        #expect(record.status == "succeeded" && record.version == "3.1", "recorded like any deployment")
        #expect(record.parent == "parent-1", "the child names its parent")
        let failed = try await children.deployAndWait(
            ChildDeploymentRequest(project: bad.file, environment: "test", version: "1", parent: "parent-1"),
            progress: { _ in })
        #expect(failed.outcome == .failed)
        #expect(failed.error?.contains("exited 7") == true, "\(failed.error ?? "")")
    }

    @Test func aBrokenProjectIsATypedErrorWithItsDiagnostics() async throws {
        let broken = try Self.project("broken", command: "true")
        try "project: broken\nsteps: [{ name: s, on: app, run: [true], tiemout: 1s }]\n".write(
            toFile: broken.file, atomically: true, encoding: .utf8)
        do {
            _ = try await Deployer().deploy(
                DeploymentRequest(project: .file(broken.file), environment: "test", version: .version("1")))
            Issue.record("a broken project started")
        } catch {
            #expect(error.kind == .invalidProject)
            #expect(error.diagnostics.contains { $0.message.contains("unknown key 'tiemout'") }, "\(error)")
        }
    }

    @Test func anObserverHearsOfTheStartFirstThenEveryEventInsteadOfTheStream() async throws {
        let project = try Self.project("observed", command: "echo one; echo two")
        let observer = Observer()
        let handle = try await Deployer().deploy(
            DeploymentRequest(project: .file(project.file), environment: "test", version: .version("1")),
            observer: observer)
        let report = try await handle.report()
        #expect(report.outcome == .succeeded)
        var streamed = 0
        for await _ in handle.events { streamed += 1 }
        #expect(streamed == 0, "an observed deployment's stream is empty")
        let heard = observer.heard
        #expect(heard.first == "started \(handle.id)")
        let sequences = heard.dropFirst().compactMap { Int($0.split(separator: " ")[0]) }.sorted()
        #expect(sequences == Array(1...sequences.count) && sequences.count == heard.count - 1, "\(heard)")
        #expect(heard.contains { $0.hasSuffix("output two") } && heard.last?.hasSuffix("deploymentFinished") == true)
    }

    /// Writes down what it hears: `started ID`, then `SEQUENCE KIND` (and the line of an output event).
    final class Observer: DeploymentObserver {
        private let lines = Mutex<[String]>([])
        var heard: [String] { lines.withLock { $0 } }
        func started(_ handle: DeploymentHandle) { lines.withLock { $0.append("started \(handle.id)") } }
        func observe(_ envelope: EventEnvelope) {
            var kind = String(String(describing: envelope.event).prefix { $0 != "(" })
            if case .output(_, _, _, let line, _) = envelope.event { kind += " " + line }
            lines.withLock { $0.append("\(envelope.sequence) \(kind)") }
        }
    }

    /// The names of the events of a stream, in order, until it ends; each carries its deployment's id and
    /// numbers increase by one from 1 (0 for the service's own notice before the start).
    static func kinds(_ events: AsyncStream<EventEnvelope>) async -> [String] {
        var kinds: [String] = []
        var sequences: [Int] = []
        var deployments: Set<String> = []
        for await envelope in events {
            kinds.append(String(String(describing: envelope.event).prefix { $0 != "(" }))
            sequences.append(envelope.sequence)
            deployments.insert(envelope.deployment)
        }
        let numbered = sequences.filter { $0 > 0 }.sorted()
        #expect(!numbered.isEmpty && numbered == Array(1...numbered.count))
        #expect(deployments.count == 1)
        return kinds
    }
}
