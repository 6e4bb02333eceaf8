import Foundation
import LanderTesting
import Testing

@testable import LanderTransport

/// An agent connected to several servers (decision 0019): one executor a connection, one memory of
/// request ids for them all.
extension AgentWireTests {
    @Test func oneConnectionEndingStopsOnlyWhatItStartedWhileAnotherServersWorkGoesOn() async throws {
        // An agent connected to two servers: the first connection drops (its server was killed) while the
        // second runs a command; that command finishes, the first connection's is stopped.
        let memory = AgentRequestMemory()
        let workDir = try Scratch().url.path
        let first = try Wired(workDir: workDir, memory: memory)
        let second = try Wired(workDir: workDir, memory: memory)
        let (survivor, doomed) = (second.connection, first.connection)
        let running = Task {
            try await survivor.run(Command(["sh", "-c", "touch go; sleep 1; echo done"]), options: RunOptions())
        }
        let lost = Task {
            try await doomed.run(Command(["sh", "-c", "echo $$ > doomed; exec sleep 30"]), options: RunOptions())
        }
        #expect(await Self.eventually(120) { FileManager.default.fileExists(atPath: first.root + "/doomed") })
        #expect(await Self.eventually(120) { FileManager.default.fileExists(atPath: second.root + "/go") })
        await first.cut()
        let result = try await running.value
        #expect(result.exitCode == 0 && result.stdout == "done\n" && result.stoppedBy == nil, "\(result)")
        let pid = Int32(try String(contentsOfFile: first.root + "/doomed", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(pid > 0)
        #expect(await Self.eventually(120) { !Self.alive(pid) }, "the dropped connection's command still runs")
        await #expect(throws: TransportError.self) { try await lost.value }
    }

    @Test func aRequestIdStartedOverOneConnectionIsRefusedOverAnother() async throws {
        let memory = AgentRequestMemory()
        let workDir = try Scratch().url.path
        let (one, other) = (AgentOutbox(), AgentOutbox())
        let environment = ProcessInfo.processInfo.environment
        var request = AgentMessage(.run, id: AgentWire.newID())
        request.argv = ["true"]
        AgentExecutor(name: "edge", workDir: workDir, environment: environment, memory: memory)
            .receive(text: request.json, answering: one)
        let first = await one.next()
        AgentExecutor(name: "edge", workDir: workDir, environment: environment, memory: memory)
            .receive(text: request.json, answering: other)
        let second = await other.next()
        guard case .text(let ran) = first, case .text(let refused) = second else {
            Issue.record("no answers: \(String(describing: first)) \(String(describing: second))")
            return
        }
        #expect(AgentMessage(json: ran)?.op == .exit, "\(ran)")
        let refusal = AgentMessage(json: refused)
        #expect(refusal?.op == .failed && refusal?.text?.contains("never started twice") == true, "\(refused)")
    }
}
