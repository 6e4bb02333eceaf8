import Foundation
import LanderEngine
import LanderLua
import LanderModel
import LanderNotify
import LanderStore
import LanderTesting
import Testing

/// Which recorded events become which deliveries: kinds, project and environment filters, a new
/// subscription not sent history, two processes collecting the same events once.
@Suite struct CollectorTests {
    static func subscription(_ name: String, _ events: Set<Subscription.EventKind>, projects: [String] = [])
        -> Subscription
    {
        Subscription(
            name: name, events: events, projects: projects,
            destination: .webhook(.init(url: .literal("http://127.0.0.1:9/x"), retry: RetryPolicy(attempts: 1))))
    }

    static func record(_ store: StateStore, _ id: String, project: String, _ events: [DeploymentEvent]) async throws {
        try store.begin(
            NewDeployment(
                id: id, project: project, environment: "prod", version: "2.0", variables: [:],
                projectFile: "/nowhere/lander.yml", pluginPath: []))
        let journal = StoreJournal(store: store, deploymentID: id)
        for event in events { journal.record(event) }
        try await journal.flush()
        journal.close()
    }

    static func outbox(_ store: StateStore, _ subscriptions: [Subscription]) -> Outbox {
        var workspace = Workspace(
            name: "w", file: "/nowhere/lander-workspace.yml", root: "/nowhere", members: [], statePath: store.path,
            plugins: [])
        workspace.subscriptions = subscriptions
        return Outbox(workspace: workspace, store: store, pluginPath: PluginPath([]))
    }

    @Test func eachKindIsMatchedAndFilteredByProject() async throws {
        let store = try StateStore.open(at: try Scratch().url.appendingPathComponent("state.db").path)
        let all = Self.subscription("all", Set(Subscription.EventKind.allCases))
        let shopOnly = Self.subscription("shop", [.stepFailed, .targetLeftOut], projects: ["shop"])
        let outbox = Self.outbox(store, [all, shopOnly])
        try outbox.prepare()
        let events: [DeploymentEvent] = [
            .deploymentStarted(id: "d", project: "shop", environment: "prod", version: "2.0", steps: 1, targets: 2),
            .stepFinished(step: "build", succeeded: true, duration: .seconds(1)),
            .targetState(step: "roll", target: "app-2", state: .leftOut, detail: "verify failed"),
            .targetState(step: "roll", target: "app-1", state: .inPool, detail: nil),
            .milestone(name: "schema-ready", step: "migrate"),
            .stepFinished(step: "roll", succeeded: false, duration: .seconds(1)),
            .deploymentFinished(outcome: .failed, duration: .seconds(3), error: "step 'roll' failed"),
        ]
        try await Self.record(store, "d1", project: "shop", events)
        try await Self.record(store, "d2", project: "cart", events)
        try await outbox.pass()
        let made = try store.deliveries(limit: 100)
        let kinds = { (name: String, deployment: String) in
            made.filter { $0.subscription == name && $0.deployment == deployment }.map(\.eventKind).sorted()
        }
        #expect(
            kinds("all", "d1") == [
                "deployment_failed", "deployment_started", "milestone", "step_failed", "target_left_out",
            ])
        #expect(kinds("all", "d2") == kinds("all", "d1"))
        #expect(kinds("shop", "d1") == ["step_failed", "target_left_out"] && kinds("shop", "d2").isEmpty)
        #expect(made.allSatisfy { $0.state == "dead" && $0.lastError?.contains("POST failed") == true })
    }

    @Test func aNewSubscriptionIsNotSentHistoryAndTwoCollectorsMakeEachDeliveryOnce() async throws {
        let store = try StateStore.open(at: try Scratch().url.appendingPathComponent("state.db").path)
        let finished: [DeploymentEvent] = [.deploymentFinished(outcome: .succeeded, duration: .seconds(1), error: nil)]
        try await Self.record(store, "old", project: "shop", finished)
        let subscription = Self.subscription("late", [.deploymentSucceeded])
        let first = Self.outbox(store, [subscription])
        let second = Self.outbox(store, [subscription])
        try first.prepare()
        try await Self.record(store, "new", project: "shop", finished)
        async let one = first.pass()
        async let two = second.pass()
        _ = try await (one, two)
        let made = try store.deliveries(limit: 100)
        #expect(made.map { $0.deployment ?? "" } == ["new"], "\(made.map(\.key))")
    }

    @Test func aLockWaitIsSentOnlyWhileTheClaimStillWaits() async throws {
        // A long lease: a waiting claim stays live even when a loaded machine renews it late.
        let store = try StateStore.open(
            at: try Scratch().url.appendingPathComponent("state.db").path, lease: .seconds(600))
        var subscription = Self.subscription("locks", [.lockWaited])
        subscription.lockWait = .milliseconds(1)
        let outbox = Self.outbox(store, [subscription])
        try outbox.prepare()
        // d1 holds `schema`; d2's claim waits for it. d3 waited once, but its wait is over (no claim waits).
        let locks = StoreLocks(store: store, owner: "test")
        let held = try await locks.acquire(
            "schema", limit: 1, guarding: LockGuard(deployment: "d1", runPrefix: "d1/", remote: false)
        ) { _ in }
        let waiting = Task {
            try await locks.acquire(
                "schema", limit: 1, guarding: LockGuard(deployment: "d2", runPrefix: "d2/", remote: false)
            ) { _ in }
        }
        let wait: [DeploymentEvent] = [.waitingForLock(name: "schema", holders: "d1", step: "migrate", task: nil)]
        try await Self.record(store, "d2", project: "shop", wait)
        try await Self.record(store, "d3", project: "shop", wait)
        for _ in 0..<3000 where try !store.stillWaiting(deployment: "d2", lock: "schema") {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(try store.stillWaiting(deployment: "d2", lock: "schema"), "d2's claim never waited")
        try await Task.sleep(for: .milliseconds(10))
        try await outbox.pass()
        let made = Dictionary(uniqueKeysWithValues: try store.deliveries(limit: 10).map { ($0.deployment ?? "", $0) })
        #expect(
            made["d2"]?.state == "dead" && made["d2"]?.attempts == 1,
            "a wait still going is sent (and fails: port 9): \(String(describing: made["d2"]))")
        #expect(made["d3"]?.state == "void" && made["d3"]?.attempts == 0, "\(String(describing: made["d3"]))")
        await held.release()
        await (try waiting.value).release()
    }
}
