import Foundation
import LanderEngine
import Testing

/// Spec tests of the rolling policy's points and of the `http-status` and `version-check` plugins, against
/// real HTTP listeners and local targets (HAProxy's plugin is specified in LanderCommandsTests).
@Suite struct RollingPluginSpecTests {
    /// One step rolling over `targets` (name → variables), running `run`.
    static func project(
        rolling: String, targets: [String: String], run: String = "[true]", plugins: [String: String] = [:]
    ) throws -> TestProject {
        let list = targets.sorted { $0.key < $1.key }.map {
            "      \($0.key): { roles: [app], variables: \($0.value) }"
        }
        return try TestProject(
            yaml: """
                project: spec
                environments:
                  test:
                    targets:
                \(list.joined(separator: "\n"))
                steps:
                  - name: roll
                    on: app
                    rolling: \(rolling)
                    run: \(run)
                """, plugins: plugins)
    }

    // MARK: http-status

    @Test func httpStatusPassesOnTheExpectedStatus() async throws {
        let listener = try HTTPListener(status: 200)
        let project = try Self.project(
            rolling: "{ precheck: http-status, verify: http-status, settle: 0s }",
            targets: ["app-1": "{ status_url: \"http://127.0.0.1:\(listener.port)/_status\" }"])
        let run = try await project.deploy()
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        #expect(listener.requests == ["GET /_status HTTP/1.1", "GET /_status HTTP/1.1"], "one precheck, one verify")
        #expect(run.states("app-1") == ["prechecking", "deploying", "verifying", "in_pool"])
    }

    @Test func httpStatusRetriesThenSkipsATargetThatStaysUnhealthy() async throws {
        let listener = try HTTPListener(status: 503)
        let project = try Self.project(
            rolling: "{ precheck: { hook: http-status, with: { retries: 2, backoff: 0.01 } }, settle: 0s }",
            targets: ["app-1": "{ status_url: \"http://127.0.0.1:\(listener.port)/_status\" }"],
            run: "[touch, changed]")
        let run = try await project.deploy()
        #expect(listener.requests.count == 3, "the first attempt and two retries")
        #expect(run.states("app-1") == ["prechecking", "skipped"])
        #expect(run.record("roll", "app-1")?.outcome == .skipped)
        #expect(project.read(".lander/targets/test/app-1/changed") == nil, "a skipped target is never changed")
        let detail = run.detail("app-1", "skipped") ?? ""
        #expect(
            detail.contains("precheck failed")
                && detail.contains("GET http://127.0.0.1:\(listener.port)/_status: HTTP 503")
                && detail.contains("after 3 attempt(s) (expected 200)"), "\(detail)")
    }

    @Test func httpStatusWaitsForATargetThatRecovers() async throws {
        let listener = try HTTPListener(statuses: [502, 503, 200])
        let project = try Self.project(
            rolling:
                "{ precheck: { hook: http-status, with: { retries: 3, backoff: 0.01 } }, verify: none, settle: 0s }",
            targets: ["app-1": "{ base_url: \"http://127.0.0.1:\(listener.port)\" }"])
        // base_url alone is not enough: http-status needs a path with it.
        let missing = try await project.deploy()
        #expect(missing.detail("app-1", "skipped")?.contains("set the target variable status_url") == true)
        #expect(listener.requests.isEmpty)
        let withPath = try Self.project(
            rolling:
                "{ precheck: { hook: http-status, with: { path: /health, retries: 3, backoff: 0.01 } }, verify: none, "
                + "settle: 0s }",
            targets: ["app-1": "{ base_url: \"http://127.0.0.1:\(listener.port)\" }"])
        let run = try await withPath.deploy()
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        #expect(listener.requests == Array(repeating: "GET /health HTTP/1.1", count: 3))
        #expect(run.states("app-1").last == "in_pool")
    }

    @Test func httpStatusExpectsTheStatusItIsGiven() async throws {
        let listener = try HTTPListener(status: 204, body: "")
        let url = "http://127.0.0.1:\(listener.port)/ready"
        let project = try Self.project(
            rolling: "{ precheck: { hook: http-status, with: { url: \"\(url)\", status: 204 } }, verify: none, "
                + "settle: 0s }", targets: ["app-1": "{}"])
        let run = try await project.deploy()
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        #expect(run.states("app-1").last == "in_pool")
    }

    @Test func httpStatusNamesAnUnreachableURL() async throws {
        let port = try HTTPListener.closedPort()
        let project = try Self.project(
            rolling:
                "{ precheck: none, verify: { hook: http-status, with: { retries: 1, backoff: 0.01, timeout: 1 } }, "
                + "settle: 0s }",
            targets: ["app-1": "{ status_url: \"http://127.0.0.1:\(port)/_status\" }"])
        let run = try await project.deploy()
        #expect(run.report.outcome == .failed)
        let error = run.report.error ?? ""
        #expect(
            error.contains("left out of the pool for inspection: app-1 (verify failed")
                && error.contains("http://127.0.0.1:\(port)/_status") && error.contains("after 2 attempt(s)"),
            "\(error)")
    }

    // MARK: version-check

    static let writesVersion = #"[sh, -c, 'printf "%s\n" "$1" > VERSION', sh, "{{served}}"]"#

    @Test func versionCheckReadsAFileOnEachTarget() async throws {
        let project = try Self.project(
            rolling: "{ batch: 100%, precheck: none, verify: none, settle: 0s, "
                + "verify_fleet: { hook: version-check, with: { file: VERSION } }, stop_target: stopper }",
            targets: ["app-1": "{ served: 1.0.0 }", "app-2": "{ served: 1.0.0 }"], run: Self.writesVersion,
            plugins: ["stopper/init.lua": Self.stopper])
        let run = try await project.deploy(version: "1.0.0")
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        #expect(!run.logs.contains { $0.hasPrefix("stopping") }, "nothing to stop: \(run.logs)")
    }

    /// A `stop_target` hook that says which target it stopped.
    static let stopper = """
        return lander.plugin {
          name = "stopper",
          hooks = { stop_target = function(ctx) lander.log.info("stopping " .. ctx.target.name .. " at " .. ctx.point) end },
        }
        """

    @Test func versionCheckStopsTargetsServingAnotherVersion() async throws {
        let targets = ["app-1": "{ served: 1.0.0 }", "app-2": "{ served: 0.9.0 }", "app-3": "{ served: 1.0.0 }"]
        let rolling =
            "{ batch: 100%, precheck: none, verify: none, settle: 0s, max_stopped: MAX, "
            + "verify_fleet: { hook: version-check, with: { file: VERSION } }, stop_target: stopper }"
        let tolerant = try Self.project(
            rolling: rolling.replacingOccurrences(of: "MAX", with: "1"), targets: targets, run: Self.writesVersion,
            plugins: ["stopper/init.lua": Self.stopper])
        let run = try await tolerant.deploy(version: "1.0.0")
        #expect(run.report.outcome == .succeeded, "one stopped is within max_stopped 1: \(run.report.error ?? "")")
        #expect(run.logs.filter { $0.hasPrefix("stopping") } == ["stopping app-2 at stop_target"])
        #expect(run.states("app-2").last == "stopped")
        #expect(run.detail("app-2", "stopped") == "serves 0.9.0, not 1.0.0")
        #expect(run.states("app-1").last == "in_pool")

        let strict = try Self.project(
            rolling: rolling.replacingOccurrences(of: "MAX", with: "0"), targets: targets, run: Self.writesVersion,
            plugins: ["stopper/init.lua": Self.stopper])
        let failed = try await strict.deploy(version: "1.0.0")
        #expect(failed.report.outcome == .failed)
        #expect(
            failed.report.error
                == "step 'roll': verify_fleet found 1 target(s) not serving 1.0.0, more than max_stopped (0); the "
                + "rollout halted. Stopped: none. Left serving: app-2 (serves 0.9.0, not 1.0.0)")
        #expect(!failed.logs.contains { $0.hasPrefix("stopping") }, "max_stopped 0 stops nothing")
        #expect(failed.report.notUpdated.map(\.target) == ["app-2"])
    }

    @Test func aFleetWideMismatchStopsNoMoreThanMaxStoppedAndLeavesTheRestServing() async throws {
        var targets: [String: String] = [:]
        for index in 1...5 { targets["app-\(index)"] = "{ served: 0.9.0 }" }
        let project = try Self.project(
            rolling: "{ batch: 100%, precheck: none, verify: none, settle: 0s, max_stopped: 2, "
                + "verify_fleet: { hook: version-check, with: { file: VERSION } }, stop_target: stopper }",
            targets: targets, run: Self.writesVersion, plugins: ["stopper/init.lua": Self.stopper])
        let run = try await project.deploy(version: "1.0.0")
        #expect(run.report.outcome == .failed)
        let stopped = run.logs.filter { $0.hasPrefix("stopping") }
        #expect(stopped.count == 2, "never more than max_stopped: \(stopped)")
        let states = (1...5).map { run.states("app-\($0)").last ?? "" }
        #expect(states.filter { $0 == "stopped" }.count == 2)
        #expect(states.filter { $0 == "in_pool" }.count == 3, "the rest keep serving: \(states)")
        let error = run.report.error ?? ""
        #expect(error.contains("found 5 target(s) not serving 1.0.0, more than max_stopped (2)"), "\(error)")
        #expect(error.contains("Left serving: "), "\(error)")
        #expect(run.report.notUpdated.count == 5)
    }

    @Test func theFleetCheckCoversTargetsPrecheckSkipped() async throws {
        // app-2 fails its precheck and is skipped: it keeps serving 0.9.0, which the fleet check must see.
        let precheck = """
            return lander.plugin { name = "gate", hooks = { precheck = function(ctx)
              if ctx.target.name == "app-2" then error("unhealthy", 0) end
            end } }
            """
        let project = try Self.project(
            rolling: "{ batch: 1, precheck: gate, verify: none, settle: 0s, max_stopped: 1, "
                + "verify_fleet: { hook: version-check, with: { file: VERSION } }, stop_target: stopper }",
            targets: ["app-1": "{ served: 1.0.0 }", "app-2": "{ served: 1.0.0 }", "app-3": "{ served: 1.0.0 }"],
            run: Self.writesVersion, plugins: ["stopper/init.lua": Self.stopper, "gate/init.lua": precheck])
        try project.write(".lander/targets/test/app-2/VERSION", "0.9.0\n")
        let run = try await project.deploy(version: "1.0.0")
        #expect(run.report.outcome == .succeeded, "one stopped is within max_stopped 1: \(run.report.error ?? "")")
        #expect(run.states("app-2") == ["prechecking", "skipped", "stopped"])
        #expect(run.logs.filter { $0.hasPrefix("stopping") } == ["stopping app-2 at stop_target"])
        #expect(run.report.notUpdated.map(\.target) == ["app-2"])
        #expect(run.report.notUpdated.first?.state == "stopped")
    }

    @Test func versionCheckReadsAVersionEndpoint() async throws {
        let listener = try HTTPListener(status: 200, body: "build 2.1.0\n")
        let project = try Self.project(
            rolling: "{ precheck: none, verify: none, settle: 0s, "
                + "verify_fleet: { hook: version-check, with: { path: /version } }, max_stopped: 1 }",
            targets: ["app-1": "{ base_url: \"http://127.0.0.1:\(listener.port)\" }"])
        #expect(try await project.deploy(version: "2.1.0").report.outcome == .succeeded)
        #expect(listener.requests == ["GET /version HTTP/1.1"])
        let wrong = try await project.deploy(version: "2.2.0")
        #expect(wrong.report.outcome == .succeeded, "one stopped is within max_stopped 1")
        #expect(wrong.report.notUpdated.map(\.state) == ["stopped"])
        #expect(wrong.detail("app-1", "stopped") == "serves 2.1.0, not 2.2.0")
        #expect(
            wrong.logs.contains { $0.contains("no stop_target hook (nor a drain plugin) can stop it") },
            "saying nothing was there to stop it: \(wrong.logs)")
    }

    @Test(arguments: [
        (#"{"version": "2.0.0", "commit": "abc123"}"#, "", "2.0.0"),
        (#"{"build": {"version": "2.0.0"}, "version": "api-7"}"#, ", field: build.version", "2.0.0"),
        (#""2.0.0""#, "", "2.0.0"),
        ("2.0.0 built 2026-11-30\n", "", "2.0.0"),
        ("v2.0.0", "", "v2.0.0"),
    ])
    func versionCheckReadsJSONBodiesAndPlainText(body: String, option: String, served: String) async throws {
        let listener = try HTTPListener(status: 200, body: body)
        let project = try Self.project(
            rolling: "{ precheck: none, verify: none, settle: 0s, "
                + "verify_fleet: { hook: version-check, with: { path: /version\(option) } }, max_stopped: 1 }",
            targets: ["app-1": "{ base_url: \"http://127.0.0.1:\(listener.port)\" }"])
        let run = try await project.deploy(version: served)
        #expect(run.report.outcome == .succeeded, "\(body) read wrongly: \(run.report.error ?? "")")
        let wrong = try await project.deploy(version: "9.9.9")
        #expect(wrong.detail("app-1", "stopped") == "serves \(served), not 9.9.9")
    }

    @Test func versionCheckNamesTheFieldAJSONBodyLacks() async throws {
        let listener = try HTTPListener(status: 200, body: #"{"release": "2.0.0"}"#)
        let project = try Self.project(
            rolling: "{ precheck: none, verify: none, settle: 0s, "
                + "verify_fleet: { hook: version-check, with: { path: /version } }, max_stopped: 0 }",
            targets: ["app-1": "{ base_url: \"http://127.0.0.1:\(listener.port)\" }"])
        let run = try await project.deploy(version: "2.0.0")
        #expect(run.report.outcome == .failed)
        let text = (run.logs + [run.report.error ?? ""]).joined(separator: "\n")
        #expect(text.contains("the JSON body has no field 'version'"), "\(text)")
    }

    @Test func theDefaultFleetCheckReadsVersionURLAndLeavesTargetsWithoutOneUnchecked() async throws {
        let listener = try HTTPListener(status: 200, body: "3.0.0\n")
        let project = try Self.project(
            rolling: "{ batch: 100%, precheck: none, verify: none, settle: 0s, max_stopped: 0 }",
            targets: ["app-1": "{ version_url: \"http://127.0.0.1:\(listener.port)/v\" }", "app-2": "{}"])
        let run = try await project.deploy(version: "3.0.0")
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        #expect(listener.requests == ["GET /v HTTP/1.1"], "app-1 was checked")
        #expect(
            run.logs.contains { $0.hasPrefix("verify_fleet: version-check read no version on app-2; not checked") },
            "\(run.logs)")
        let wrong = try await project.deploy(version: "3.0.1")
        #expect(wrong.report.outcome == .failed, "app-1 serves 3.0.0 and max_stopped is 0")
    }

    // MARK: The policy's points as plugin hooks

    /// A load balancer of our own: every point logs what it did; `verify` fails for app-2.
    static let ledger = """
        local function note(what) return function(ctx, opts)
          lander.log.info(what .. " " .. ctx.target.name .. (opts.drain_timeout and (" " .. opts.drain_timeout) or ""))
          return ctx.target.name ~= "app-2" or what ~= "verify"
        end end
        return lander.plugin {
          name = "ledger",
          hooks = { precheck = note("precheck"), drain = note("drain"), undrain = note("undrain"),
                    verify = note("verify"), on_target_failed = note("failed") },
        }
        """

    @Test func everyPointIsAPluginHookAndAFailedVerifyHaltsTheRollout() async throws {
        let project = try Self.project(
            rolling: "{ batch: [1, 1, 100%], precheck: ledger, drain: ledger, drain_timeout: 5s, verify: ledger, "
                + "on_target_failed: ledger, settle: 0s }",
            targets: ["app-1": "{}", "app-2": "{}", "app-3": "{}", "app-4": "{}"], run: "[touch, changed]",
            plugins: ["ledger/init.lua": Self.ledger])
        let run = try await project.deploy()
        #expect(
            run.logs.filter { !$0.hasPrefix("batch") }
                == [
                    "precheck app-1", "drain app-1 5.0", "verify app-1", "undrain app-1",
                    "precheck app-2", "drain app-2 5.0", "verify app-2", "failed app-2",
                ])
        #expect(run.logs.filter { $0.hasPrefix("batch") } == ["batch 1 of 3: app-1", "batch 2 of 3: app-2"])
        #expect(run.report.outcome == .failed)
        #expect(
            run.report.error
                == "step 'roll': the rollout halted; left out of the pool for inspection: app-2 (verify failed: "
                + "ledger said no)")
        #expect(run.states("app-2") == ["prechecking", "draining", "deploying", "verifying", "left_out"])
        for target in ["app-3", "app-4"] {
            #expect(run.states(target) == ["skipped"])
            #expect(project.read(".lander/targets/test/\(target)/changed") == nil, "\(target) untouched")
        }
    }

    @Test func aResumedRolloutPutsFinishedTargetsBackWithoutRunningThemAgain() async throws {
        // The run before was killed with app-1 done and app-2 drained mid-task: resuming drains, verifies and
        // puts back app-1 without running its task again, and runs app-2's.
        let project = try Self.project(
            rolling: "{ precheck: ledger, drain: ledger, verify: none, settle: 0s }",
            targets: ["app-1": "{}", "app-2": "{}"], run: "[touch, ran]", plugins: ["ledger/init.lua": Self.ledger])
        let finished = ResumePoint(finished: [
            TargetStepKey(step: "roll", task: "roll", target: "app-1"): (outcome: .succeeded, outputs: [:])
        ])
        let run = try await project.deploy(resume: finished)
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        #expect(project.read(".lander/targets/test/app-1/ran") == nil, "app-1 finished before: not run again")
        #expect(project.read(".lander/targets/test/app-2/ran") != nil)
        for target in ["app-1", "app-2"] {
            #expect(run.states(target).last == "in_pool", "\(target): \(run.states(target))")
            #expect(run.logs.contains("undrain \(target)"), "\(run.logs)")
        }
    }

    @Test func aTaskCanRollOnItsOwnBesideAnotherTask() async throws {
        let project = try TestProject(
            fixture: "rolling-task",
            plugins: [
                "ledger/init.lua": Self.ledger,
                "echo/init.lua": "return { precheck = function(ctx, opts) lander.log.info('tag ' .. opts.tag) end }",
            ])
        let run = try await project.deploy(version: "2.0")
        #expect(run.report.outcome == .succeeded, "\(run.report.error ?? "")")
        #expect(run.logs.filter { $0.hasPrefix("batch") } == ["batch 1 of 2: web-1", "batch 2 of 2: web-2"])
        #expect(
            run.logs.filter { $0.hasPrefix("tag") } == ["tag web-1@2.0", "tag web-2@2.0"], "with: resolves per target")
        #expect(run.states("db-1").isEmpty, "the db task does not roll")
        for target in ["web-1", "web-2", "db-1"] {
            #expect(project.read(".lander/targets/test/\(target)/changed") != nil, "\(target)")
        }
    }
}

extension Run {
    /// A target's rollout states in order.
    func states(_ target: String) -> [String] {
        events.compactMap {
            if case .targetState(_, target, let state, _) = $0 { state.rawValue } else { nil }
        }
    }

    /// What a target's rollout state said when it entered `state`.
    func detail(_ target: String, _ state: String) -> String? {
        events.lazy.compactMap {
            if case .targetState(_, target, let entered, let detail) = $0, entered.rawValue == state {
                detail
            } else {
                nil
            }
        }.first ?? nil
    }
}

extension HTTPListener {
    /// A port on 127.0.0.1 nothing listens on (bound, then closed).
    static func closedPort() throws -> UInt16 {
        let listener = try HTTPListener(status: 200)
        let port = listener.port
        listener.shutdown()
        return port
    }
}
