import Foundation
import LanderEngine
import LanderModel
import Testing

/// The one encoding of events: the fast writer and `JSONEncoder` agree byte for byte.
@Suite struct EventEnvelopeTests {
    static let events: [DeploymentEvent] = [
        .deploymentQueued(project: "shop", environment: "prod", version: nil, requestedBy: "ci (token t1)"),
        .deploymentQueued(project: "shop", environment: "prod", version: "1.4.2", requestedBy: "ana"),
        .deploymentStarted(id: "d1", project: "shop", environment: "prod", version: "1.4.2", steps: 3, targets: 12),
        .stepStarted(step: "stage", tasks: ["a", "b"], detached: ["b"]),
        .output(
            step: "s", task: "t", target: "web-1", line: "quote \" slash / tab \t nl \n bell \u{07} é ☃", isError: true),
        .log(level: .warn, message: "careful", target: nil, step: "s", task: "t"),
        .retrying(step: "s", task: "t", target: "x", attempt: 2, error: "boom", delay: .milliseconds(1500)),
        .targetFinished(
            step: "s", task: "t", target: "x", outcome: .failed("exited 3"), duration: .milliseconds(312), exitCode: 3,
            earlier: true),
        .stepFinished(step: "s", succeeded: false, duration: .seconds(2), cancelled: true),
        .targetState(step: "roll", target: "app-1", state: .leftOut, detail: "verify failed: HTTP 500"),
        .rolloutFinished(
            step: "roll", version: "2.0", targets: 4,
            notUpdated: [NotUpdatedTarget(step: "roll", target: "app-2", state: "stopped", detail: nil)]),
        .sessionOpened(target: "w", name: "tunnel", pid: 4242),
        .waitingForLock(name: "schema", holders: "billing", step: "migrate", task: nil),
        .hookFinished(point: .postDeploy, hook: "notify.file", error: nil, critical: false),
        .milestone(name: "schema-ready", step: "migrate"),
        .waiting(step: "schema", task: "schema", for: "db to reach 'schema-ready'"),
        .call(target: "a-1", job: "open-firewall", status: 403, outcome: "refused", detail: "not allowed", child: nil),
        .call(target: "a-2", job: "open-firewall", status: 200, outcome: "succeeded", detail: nil, child: "2026-b"),
        .deploymentFinished(outcome: .succeeded, duration: .milliseconds(2040), error: nil),
    ]

    @Test(arguments: Self.events)
    func theWriterAndJSONEncoderAgree(_ event: DeploymentEvent) throws {
        let envelope = EventEnvelope(deployment: "20261201-103341-2898", sequence: 7, event: event)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let expected = String(decoding: try encoder.encode(envelope), as: UTF8.self)
        #expect(envelope.json == expected)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(envelope.json.utf8)) as? [String: Any])
        #expect(object["deployment"] as? String == "20261201-103341-2898")
        #expect(object["sequence"] as? Int == 7)
        #expect(object["time"] is String && object["event"] is String)
    }

    @Test(arguments: Self.events)
    func anEnvelopeReadBackFromItsJSONWritesTheSameJSON(_ event: DeploymentEvent) throws {
        let envelope = EventEnvelope(deployment: "20261201-103341-2898", sequence: 7, event: event)
        let read = try #require(EventEnvelope(json: envelope.json), "\(envelope.json)")
        #expect(read.json == envelope.json)
        #expect(read.sequence == 7 && read.deployment == "20261201-103341-2898")
    }

    @Test func textThatIsNoEnvelopeOrAKindFromANewerLanderIsNotRead() {
        #expect(EventEnvelope(json: "not json") == nil)
        #expect(EventEnvelope(json: #"{"deployment":"d","sequence":1,"event":"teleported"}"#) == nil)
        #expect(EventEnvelope(json: #"{"sequence":1,"event":"milestone"}"#) == nil)
    }

    @Test func timesAreUTCWithMilliseconds() {
        let date = Date(timeIntervalSince1970: 1_764_585_221.4129)
        #expect(
            EventEnvelope.timestamp(date) == date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        #expect(EventEnvelope.timestamp(date) == "2025-12-01T10:33:41.412Z")
    }
}
