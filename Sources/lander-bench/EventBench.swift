import Foundation
import LanderEngine

/// `lander-bench events`: the cost of the one encoding of events (`EventEnvelope.json`), which the journal
/// writes once per event, on the events a target-step sends.
func benchEvents(rounds: Int = 7) {
    let count = 100_000
    let envelopes: [EventEnvelope] = (0..<count).map { index in
        let target = "t-\(index % 1000)"
        let event: DeploymentEvent =
            switch index % 3 {
            case 0: .targetStarted(step: "migrate", task: "migrate", target: target)
            case 1:
                .output(
                    step: "migrate", task: "migrate", target: target, line: "applied 0042_add_index", isError: false)
            default:
                .targetFinished(
                    step: "migrate", task: "migrate", target: target, outcome: .succeeded,
                    duration: .milliseconds(412), exitCode: 0, earlier: false)
            }
        return EventEnvelope(deployment: "20261201-120000-3f9a", sequence: index + 1, event: event)
    }
    var perEvent: [Double] = []
    var bytes = 0
    for _ in 0..<rounds {
        let started = ContinuousClock.now
        bytes = 0
        for envelope in envelopes { bytes += envelope.json.utf8.count }
        perEvent.append(seconds(ContinuousClock.now - started) / Double(count) * 1e6)
    }
    perEvent.sort()
    print("events: \(count) envelopes encoded, median of \(rounds) runs")
    print(
        String(
            format: "  encoding per event            %8.2f µs  (%d bytes on average)", perEvent[rounds / 2],
            bytes / count))
}
