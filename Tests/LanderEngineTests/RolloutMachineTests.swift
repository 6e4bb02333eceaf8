import LanderEngine
import Testing

/// The rules of seed 004 as the rollout state machine applies them: no process, no Lua, no I/O.
@Suite struct RolloutMachineTests {
    typealias Machine = RolloutMachine

    static func machine(
        _ batches: [[String]], maxStopped: Int = 3, leftOutEarlier: Set<String> = [], fleet: Bool = true,
        settles: Bool = true
    ) -> Machine {
        Machine(
            step: "roll", version: "2.0", batches: batches, maxStopped: maxStopped, leftOutEarlier: leftOutEarlier,
            checksFleet: fleet, settles: settles)
    }

    /// Takes one batch of healthy targets through every point; the actions after the undrain.
    static func healthyBatch(_ machine: inout Machine, _ targets: [String]) -> [Machine.Action] {
        let passed = Dictionary(uniqueKeysWithValues: targets.map { ($0, Machine.Check.passed) })
        #expect(machine.prechecked(passed) == [.drain(targets)])
        #expect(machine.drained(passed) == [.run(targets)])
        let ran = Dictionary(uniqueKeysWithValues: targets.map { ($0, Machine.TasksOutcome.succeeded) })
        #expect(machine.ran(ran) == [.settle(targets)])
        #expect(machine.settled() == [.verify(targets)])
        #expect(machine.verified(passed) == [.undrain(targets)])
        return machine.undrained(passed)
    }

    @Test func batchesRunOneAfterAnotherThroughEveryPointThenTheFleetIsChecked() {
        var machine = Self.machine([["a"], ["b", "c"]])
        #expect(machine.start() == [.startBatch(number: 1, of: 2, targets: ["a"]), .precheck(["a"])])
        #expect(
            Self.healthyBatch(&machine, ["a"]) == [
                .putBack("a"), .startBatch(number: 2, of: 2, targets: ["b", "c"]), .precheck(["b", "c"]),
            ])
        #expect(
            Self.healthyBatch(&machine, ["b", "c"]) == [.putBack("b"), .putBack("c"), .checkFleet(["a", "b", "c"])])
        #expect(machine.fleetChecked(["a": .expected, "b": .expected, "c": .unknown]) == [.finish])
        #expect(machine.targetsInPool == ["a", "b", "c"])
    }

    @Test func aFailedPrecheckSkipsTheTargetUntouchedButTheFleetCheckStillSeesIt() {
        var machine = Self.machine([["a", "b"]])
        _ = machine.start()
        #expect(
            machine.prechecked(["a": .failed("HTTP 503"), "b": .passed]) == [
                .skip("a", reason: "precheck failed: HTTP 503"), .drain(["b"]),
            ])
        #expect(machine.drained(["b": .passed]) == [.run(["b"])])
        #expect(machine.ran(["b": .succeeded]) == [.settle(["b"])])
        #expect(machine.settled() == [.verify(["b"])])
        #expect(machine.verified(["b": .passed]) == [.undrain(["b"])])
        #expect(machine.undrained(["b": .passed]) == [.putBack("b"), .checkFleet(["a", "b"])])
        #expect(
            machine.fleetChecked(["a": .other("serves 1.0, not 2.0"), "b": .expected]) == [
                .stop("a", reason: "serves 1.0, not 2.0"),
                .warn("verify_fleet stopped 1 target(s): a (serves 1.0, not 2.0)"),
                .finish,
            ])
    }

    @Test func aTargetLanderLeftOutEarlierIsDeployedWithoutAPrecheck() {
        var machine = Self.machine([["a", "b"]], leftOutEarlier: ["a"])
        #expect(machine.start() == [.startBatch(number: 1, of: 1, targets: ["a", "b"]), .precheck(["b"])])
        #expect(machine.prechecked(["b": .passed]) == [.drain(["a", "b"])])
    }

    @Test(arguments: [
        (Machine.TasksOutcome.failed, "its tasks failed"),
        (Machine.TasksOutcome.cancelled, "cancelled while deploying"),
    ])
    func aTargetWhoseTasksDidNotSucceedIsLeftOutAndTheRolloutHaltsAfterTheBatch(
        outcome: Machine.TasksOutcome, reason: String
    ) {
        var machine = Self.machine([["a", "b"], ["c"], ["d"]])
        _ = machine.start()
        _ = machine.prechecked(["a": .passed, "b": .passed])
        _ = machine.drained(["a": .passed, "b": .passed])
        #expect(machine.ran(["a": outcome, "b": .succeeded]) == [.leaveOut("a", reason: reason), .settle(["b"])])
        _ = machine.settled()
        #expect(machine.verified(["b": .passed]) == [.undrain(["b"])])
        #expect(
            machine.undrained(["b": .passed]) == [
                .putBack("b"), .skipRest(["c", "d"], reason: "the rollout halted"),
                .halt("step 'roll': the rollout halted; left out of the pool for inspection: a (\(reason))"), .finish,
            ])
    }

    @Test func drainVerifyAndUndrainFailuresLeaveTheTargetOut() {
        var machine = Self.machine([["a", "b", "c"]], settles: false)
        _ = machine.start()
        _ = machine.prechecked(["a": .passed, "b": .passed, "c": .passed])
        #expect(
            machine.drained(["a": .failed("timeout"), "b": .passed, "c": .passed]) == [
                .leaveOut("a", reason: "drain failed: timeout"), .run(["b", "c"]),
            ])
        #expect(machine.ran(["b": .succeeded, "c": .succeeded]) == [.verify(["b", "c"])], "no settle: verify at once")
        #expect(
            machine.verified(["b": .failed("HTTP 500"), "c": .passed]) == [
                .leaveOut("b", reason: "verify failed: HTTP 500"), .undrain(["c"]),
            ])
        let end = machine.undrained(["c": .failed("socket gone")])
        #expect(end.first == .leaveOut("c", reason: "undrain failed: socket gone"))
        #expect(
            end.contains(
                .halt(
                    "step 'roll': the rollout halted; left out of the pool for inspection: a (drain failed: timeout); "
                        + "b (verify failed: HTTP 500); c (undrain failed: socket gone)")))
        #expect(!end.contains { if case .checkFleet = $0 { true } else { false } }, "no fleet check after a halt")
    }

    @Test func theFleetCheckNeverStopsMoreThanMaxStopped() {
        var machine = Self.machine([["a", "b", "c", "d"]], maxStopped: 2)
        _ = machine.start()
        #expect(Self.healthyBatch(&machine, ["a", "b", "c", "d"]).last == .checkFleet(["a", "b", "c", "d"]))
        let stale = Machine.Served.other("serves 1.0, not 2.0")
        let actions = machine.fleetChecked(["a": stale, "b": stale, "c": stale, "d": .expected])
        #expect(
            actions == [
                .stop("a", reason: "serves 1.0, not 2.0"), .stop("b", reason: "serves 1.0, not 2.0"),
                .leaveServing("c", reason: "serves 1.0, not 2.0"),
                .halt(
                    "step 'roll': verify_fleet found 3 target(s) not serving 2.0, more than max_stopped (2); the rollout "
                        + "halted. Stopped: a (serves 1.0, not 2.0); b (serves 1.0, not 2.0). Left serving: c (serves 1.0, "
                        + "not 2.0)"),
                .finish,
            ])
    }

    @Test func theMachineNamesEveryTargetNotLeftOnTheNewVersion() {
        var machine = Self.machine([["a", "b", "c", "d"]], maxStopped: 1)
        _ = machine.start()
        _ = machine.prechecked(["a": .failed("HTTP 503"), "b": .passed, "c": .passed, "d": .passed])
        _ = machine.drained(["b": .passed, "c": .passed, "d": .passed])
        _ = machine.ran(["b": .succeeded, "c": .succeeded, "d": .succeeded])
        _ = machine.settled()
        _ = machine.verified(["b": .passed, "c": .passed, "d": .passed])
        _ = machine.undrained(["b": .passed, "c": .passed, "d": .passed])
        _ = machine.fleetChecked(["a": .expected, "b": .other("serves 1.0"), "c": .other("serves 0.9"), "d": .expected])
        let list = machine.notUpdated.map { "\($0.target) \($0.state.rawValue) \($0.detail ?? "")" }
        // a was skipped but found on the new version; b was stopped; c is left serving; d is fine.
        #expect(list == ["b stopped serves 1.0", "c in_pool serves 0.9"])
    }

    @Test func withNoBudgetNothingIsStopped() {
        var machine = Self.machine([["a"]], maxStopped: 0)
        _ = machine.start()
        _ = Self.healthyBatch(&machine, ["a"])
        let actions = machine.fleetChecked(["a": .other("serves 1.0, not 2.0")])
        #expect(actions.first == .leaveServing("a", reason: "serves 1.0, not 2.0"))
        #expect(!actions.contains { if case .stop = $0 { true } else { false } })
    }

    @Test func aCancelledRolloutSkipsTheBatchesItDidNotStart() {
        var machine = Self.machine([["a"], ["b"], ["c"]])
        _ = machine.start()
        _ = Self.healthyBatch(&machine, ["a"])
        // The executor is at the announcement of batch 2 when it sees the cancellation.
        #expect(machine.cancelled() == [.skipRest(["b", "c"], reason: "the deployment was cancelled"), .finish])
    }

    @Test func withoutAFleetCheckTheLastBatchFinishesTheRollout() {
        var machine = Self.machine([["a"]], fleet: false)
        _ = machine.start()
        #expect(Self.healthyBatch(&machine, ["a"]) == [.putBack("a"), .finish])
    }
}
