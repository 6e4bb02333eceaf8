import Foundation
import LanderTesting
import Testing

/// Phone home as a user runs it: `lander deploy` serves the endpoint, cluster A's commands call
/// `lander-call`, jobs run on cluster B of the same environment (Tests/Fixtures/phone-home).
@Suite struct PhoneHomeTests {
    /// A copy of the fixture with `caller` as what cluster A runs in step x.
    static func project(caller: String) throws -> URL {
        let directory = try Fixture("phone-home").copy(to: Scratch().url.appendingPathComponent("phone"))
        try ("set -u\ncd \"$LANDER_ROOT\"\n" + caller).write(
            to: directory.appendingPathComponent("caller.sh"), atomically: true, encoding: .utf8)
        return directory
    }

    static func deploy(_ directory: URL, _ environment: String, _ extra: [String] = []) async throws -> Lander.Run {
        try await Lander.run(
            [
                "deploy", "-f", directory.appendingPathComponent("lander.yml").path, "-e", environment, "--version",
                "1.0",
            ]
                + extra)
    }

    static func read(_ directory: URL, _ path: String) -> String? {
        (try? String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func show(_ directory: URL) async throws -> (text: String, json: [String: Any]) {
        let file = directory.appendingPathComponent("lander.yml").path
        let history = try await Lander.run(["history", "-f", file, "--json"])
        let parent = try #require(try StoreCommandsTests.ids(history.stdout).first { $0.kind == "deploy" })
        let text = try await Lander.run(["show", parent.id, "-f", file]).stdout
        let json = try await Lander.run(["show", parent.id, "-f", file, "--json"]).stdout
        return (text, try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:])
    }

    @Test func twentyCallersAtOnceShareOneRunAndAllGetItsOutputs() async throws {
        let directory = try Self.project(caller: "lander-call count --var word=hi > answer.json\n")
        let run = try await Self.deploy(directory, "test")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        for b in ["b-1", "b-2"] {
            #expect(Self.read(directory, ".lander/targets/test/\(b)/calls.txt") == "called", "\(b) ran it once")
        }
        let answers = Set((1...20).map { Self.read(directory, ".lander/targets/test/a-\($0)/answer.json") ?? "" })
        #expect(answers.count == 1, "every caller got the same answer: \(answers)")
        let answer = try #require(answers.first)
        let outputs = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: [String: [String: Any]]]
        #expect(outputs?["answer"]?["b-1"]?["stdout"] as? String == "answer-b-1-hi", "\(answer)")
        #expect(outputs?["answer"]?["b-2"]?["stdout"] as? String == "answer-b-2-hi", "\(answer)")
        let shown = try await Self.show(directory)
        let children = shown.json["children"] as? [[String: Any]] ?? []
        #expect(children.count == 1 && children.first?["kind"] as? String == "job", "\(shown.text)")
        #expect(shown.text.contains("job 'count' asked for by target a-"), "\(shown.text)")
        let calls = shown.json["calls"] as? [[String: Any]] ?? []
        #expect(calls.filter { $0["outcome"] as? String == "called" }.count == 1, "\(calls)")
        #expect(calls.filter { $0["outcome"] as? String == "joined" }.count == 19, "\(calls)")
    }

    @Test func planListsTheJobsWhoMayAskAndWhereTheyWouldRun() async throws {
        let directory = try Self.project(caller: "true\n")
        let file = directory.appendingPathComponent("lander.yml").path
        let validated = try await Lander.run(["validate", "-f", file])
        #expect(validated.status == 0, "\(validated.stdout)\(validated.stderr)")
        let plan = try await Lander.run(["plan", "-f", file, "-e", "test", "--version", "1.0"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("jobs targets may ask for (lander-call JOB), in test:"), "\(plan.stdout)")
        let askers = (1...20).map { "a-\($0)" }.joined(separator: ", ")
        #expect(
            plan.stdout.contains(
                "count: asked by \(askers); runs 1 step on b-1, b-2, once per deployment, timeout 30m"),
            "\(plan.stdout)")
        #expect(plan.stdout.contains("per-call: asked by a-1"), "\(plan.stdout)")
        #expect(plan.stdout.contains("web-only: asked by w-1; runs 1 step on b-1, b-2"), "\(plan.stdout)")
    }

    @Test func aJobThatRunsPerCallRunsForEveryCallAndASharedOneOnce() async throws {
        let directory = try Self.project(
            caller: """
                lander-call per-call && lander-call per-call && lander-call count && lander-call count
                started=$(lander-call count --var word=later --no-wait)
                echo "$started" > started.json
                call=$(echo "$started" | sed 's/.*"call":"\\([^"]*\\)".*/\\1/')
                lander-call --result "$call" > later.json

                """)
        let run = try await Self.deploy(directory, "dev")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(Self.read(directory, ".lander/targets/dev/b-1/per-call.txt") == "called\ncalled")
        #expect(Self.read(directory, ".lander/targets/dev/b-1/calls.txt") == "called\ncalled", "one run per variables")
        let started = Self.read(directory, ".lander/targets/dev/a-1/started.json") ?? ""
        #expect(started.contains(#""state":"running""#), "\(started)")
        let later = Self.read(directory, ".lander/targets/dev/a-1/later.json") ?? ""
        #expect(later.contains("answer-b-1-later"), "--result waits for the call started without waiting: \(later)")
    }

    @Test func everyRefusalIsAnsweredAuditedWithTheTargetAndRunsNothing() async throws {
        let wrong = "lct_" + String(repeating: "0", count: 64)
        let directory = try Self.project(
            caller: """
                say() { echo "$1 $2" >> codes.txt; }
                as_me() { printf 'header = "Authorization: Bearer %s"\\n' "$LANDER_CALLBACK_TOKEN"; }
                url=$LANDER_CALLBACK_URL
                say none "$(curl -s -o /dev/null -w '%{http_code}' -d '{"job":"count"}' "$url/v1/calls")"
                LANDER_CALLBACK_TOKEN=\(wrong) lander-call count 2>>errors.txt; say wrong $?
                lander-call web-only 2>>errors.txt; say forbidden $?
                lander-call no-such-job 2>>errors.txt; say unknown $?
                say environment "$(as_me | curl -s -K - -o /dev/null -w '%{http_code}' \\
                  -d '{"job":"count","environment":"production"}' "$url/v1/calls")"
                say project "$(as_me | curl -s -K - -o /dev/null -w '%{http_code}' \\
                  -d '{"job":"count","project":"payroll"}' "$url/v1/calls")"
                lander-call count --var nope=1 2>>errors.txt; say variable $?
                true

                """)
        let run = try await Self.deploy(directory, "dev")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let codes = Self.read(directory, ".lander/targets/dev/a-1/codes.txt") ?? ""
        #expect(
            codes == "none 401\nwrong 3\nforbidden 3\nunknown 3\nenvironment 403\nproject 403\nvariable 2",
            "\(codes)\n\(Self.read(directory, ".lander/targets/dev/a-1/errors.txt") ?? "")")
        let errors = Self.read(directory, ".lander/targets/dev/a-1/errors.txt") ?? ""
        #expect(errors.contains("refused (401): unknown token"), "\(errors)")
        #expect(errors.contains("may not ask for job 'web-only'; it may ask for: count, fail, hang, per-call, slow"))
        #expect(errors.contains("job 'count' takes no variable 'nope'; it takes: word"), "\(errors)")
        #expect(Self.read(directory, ".lander/targets/dev/b-1/calls.txt") == nil, "no job ran")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("web-only-ran").path))
        let shown = try await Self.show(directory)
        #expect((shown.json["children"] as? [Any])?.isEmpty == true, "\(shown.text)")
        let refused = (shown.json["calls"] as? [[String: Any]] ?? []).filter { $0["outcome"] as? String == "refused" }
        #expect(refused.map { $0["target"] as? String ?? "-" } == ["a-1", "a-1", "a-1", "a-1"], "\(refused)")
        #expect(refused.map { $0["status"] as? Int ?? 0 } == [403, 403, 403, 403])
        #expect(shown.text.contains("a-1 → web-only: refused (403)"), "\(shown.text)")
        #expect(run.stdout.contains("a-1 asked for job 'web-only': refused (403)"), "\(run.stdout)")
    }

    @Test func aFailingJobAndOneThatTimesOutAreTheCallersErrors() async throws {
        let directory = try Self.project(
            caller: """
                lander-call fail 2> fail.err; echo $? > fail.code
                lander-call slow 2> slow.err; echo $? > slow.code
                true

                """)
        let run = try await Self.deploy(directory, "dev")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let a = ".lander/targets/dev/a-1/"
        #expect(Self.read(directory, a + "fail.code") == "1")
        #expect(Self.read(directory, a + "fail.err")?.contains("job fail failed: ") == true)
        #expect(
            Self.read(directory, a + "fail.err")?.contains("exited 7: boom") == true,
            "\(Self.read(directory, a + "fail.err") ?? "")")
        #expect(Self.read(directory, a + "slow.code") == "1")
        #expect(
            Self.read(directory, a + "slow.err")?.contains("job 'slow' did not end within 1s and was cancelled")
                == true,
            "\(Self.read(directory, a + "slow.err") ?? "")")
        let pid = try #require(Self.read(directory, ".lander/targets/dev/b-1/slow.pid").flatMap { Int32($0) })
        #expect(await isGone(pid), "the timed-out job's command was stopped")
        let shown = try await Self.show(directory)
        let statuses = (shown.json["children"] as? [[String: Any]] ?? []).map { $0["status"] as? String ?? "" }
        #expect(statuses.sorted() == ["cancelled", "failed"], "\(shown.text)")
    }

    @Test func cancellingTheDeploymentCancelsTheJobItsTargetAskedFor() async throws {
        let directory = try Self.project(caller: "lander-call hang; echo \"exit $?\" > hang.code\n")
        let file = directory.appendingPathComponent("lander.yml").path
        let process = try StoreCommandsTests.start(["deploy", "-f", file, "-e", "dev", "--version", "1.0"])
        let pidFile = directory.appendingPathComponent("hang.pid").path
        try await StoreCommandsTests.waitFor(pidFile)
        let pid = try #require(Self.read(directory, "hang.pid").flatMap { Int32($0) })
        kill(process.processIdentifier, SIGINT)
        #expect(await waitForExit(process, timeout: .seconds(30)) == 130)
        #expect(await isGone(pid), "the job's command was stopped")
        let history = try await Lander.run(["history", "-f", file, "--json"])
        let records = try StoreCommandsTests.ids(history.stdout)
        #expect(records.map(\.status) == ["cancelled", "cancelled"], "\(records)")
        #expect(Set(records.map(\.kind)) == ["deploy", "job"])
    }

    @Test func aDeploymentCancelledAfterItsJobRanCanBeResumedAndKeepsTheRelease() async throws {
        let directory = try Self.project(
            caller: """
                [ -f once ] && exit 0
                lander-call count > answer.json; touch once "$LANDER_ROOT/../ready"; sleep 30

                """)
        let file = directory.appendingPathComponent("lander.yml").path
        let once = directory.appendingPathComponent(".lander/targets/dev/a-1/once")
        try FileManager.default.createDirectory(at: once.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: once.path, contents: nil)
        #expect(try await Self.deploy(directory, "dev", ["--plain"]).status == 0, "1.0 goes first, calling nothing")
        try FileManager.default.removeItem(at: once)
        let process = try StoreCommandsTests.start(["deploy", "-f", file, "-e", "dev", "--version", "2.0"])
        try await StoreCommandsTests.waitFor(directory.appendingPathComponent(".lander/targets/dev/ready").path)
        kill(process.processIdentifier, SIGINT)
        #expect(await waitForExit(process, timeout: .seconds(30)) == 130)
        let records = try StoreCommandsTests.ids(try await Lander.run(["history", "-f", file, "--json"]).stdout)
        let cancelled = try #require(records.first { $0.kind == "deploy" && $0.status == "cancelled" })
        #expect(records.first?.kind == "job", "the job is the newest record: \(records)")
        let resumed = try await Lander.run(["resume", cancelled.id, "-f", file, "--plain"])
        #expect(resumed.status == 0, "a job does not count as deployed since: \(resumed.stdout)\(resumed.stderr)")
        let after = try StoreCommandsTests.ids(try await Lander.run(["history", "-f", file, "--json"]).stdout)
        #expect(after.first { $0.id == cancelled.id }?.status == "succeeded", "\(after)")
    }

    @Test func aProjectJobDeploysTheOtherProjectToTheCallersEnvironmentOnce() async throws {
        let directory = try Fixture("phone-home-workspace").copy(to: Scratch().url.appendingPathComponent("ws"))
        let billing = directory.appendingPathComponent("billing/lander.yml").path
        let run = try await Lander.run(["deploy", "-f", billing, "-e", "test", "--version", "3.1", "--plain"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(Self.read(directory, "search/.lander/targets/test/s-1/indexed.txt") == "3.1-idx", "deployed once")
        let first = Self.read(directory, "billing/.lander/targets/test/a-1/first.json") ?? ""
        #expect(first.contains(#""stdout":"indexed 3.1-idx""#), "\(first)")
        #expect(Self.read(directory, "billing/.lander/targets/test/a-1/second.json") == first, "the second call joined")
        let records = try StoreCommandsTests.ids(try await Lander.run(["history", "-f", billing, "--json"]).stdout)
        let search = try #require(records.first { $0.version == "3.1-idx" })
        #expect(search.kind == "deploy" && search.status == "succeeded", "\(records)")
        let status = try await Lander.run(["status", "-f", billing])
        #expect(status.stdout.contains("3.1-idx succeeded"), "search's release counts: \(status.stdout)")
    }

    @Test func theTokenAppearsInNoOutputLogProcessListOrStoreFile() async throws {
        let directory = try Self.project(
            caller: """
                printenv LANDER_CALLBACK_TOKEN > token.txt
                echo "token is $LANDER_CALLBACK_TOKEN"; echo "again $LANDER_CALLBACK_TOKEN" >&2
                sleep 1; lander-call count --var word=w > /dev/null; sleep 1

                """)
        let file = directory.appendingPathComponent("lander.yml").path
        let seen = ProcessListWatch()
        let watching = Task { await seen.watch() }
        let verbose = try await Self.deploy(directory, "dev", ["-v"])
        let json = try await Self.deploy(directory, "dev", ["--json"])
        watching.cancel()
        _ = await watching.value
        let token = try #require(Self.read(directory, ".lander/targets/dev/a-1/token.txt"))
        #expect(token.hasPrefix("lct_") && token.count == 68)
        #expect(verbose.status == 0 && json.status == 0, "\(verbose.stdout)\(verbose.stderr)\(json.stderr)")
        #expect(verbose.stdout.contains("token is ••••••"), "\(verbose.stdout)")
        let history = try await Lander.run(["history", "-f", file, "--json"])
        var texts = [verbose.stdout, verbose.stderr, json.stdout, json.stderr]
        for record in try StoreCommandsTests.ids(history.stdout) {
            texts.append(try await Lander.run(["logs", record.id, "-f", file]).stdout)
            texts.append(try await Lander.run(["show", record.id, "-f", file, "--json"]).stdout)
        }
        #expect(texts.joined().contains("again ••••••"))
        for text in texts { #expect(!text.contains("lct_"), "\(text)") }
        let store = directory.appendingPathComponent(".lander")
        for name in try FileManager.default.contentsOfDirectory(atPath: store.path) where name.hasPrefix("state.db") {
            let bytes = try Data(contentsOf: store.appendingPathComponent(name))
            #expect(bytes.range(of: Data("lct_".utf8)) == nil, "\(name) holds a token")
        }
        // Other suites run at once; only this deployment's token counts.
        let matches = await seen.matches.filter { $0.contains(token) }
        #expect(matches.isEmpty, "a process list showed the token: \(matches)")
        #expect(await seen.looks >= 4, "the process list was read while the deployments ran")
    }
}

/// Reads every process's command line over and over, keeping those that hold a phone-home token.
actor ProcessListWatch {
    private(set) var matches: [String] = []
    private(set) var looks = 0

    func watch() async {
        while !Task.isCancelled {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(entry) != nil {
                guard let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
                let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
                if line.contains("lct_"), !line.contains("swift"), !line.contains("xctest") { matches.append(line) }
            }
            looks += 1
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
