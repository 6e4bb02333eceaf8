import Foundation
import LanderTesting
import Testing

/// Secrets stay hidden whatever form they travel in: quoted, escaped, encoded, or spread over lines.
@Suite struct SecretMaskingTests {
    static let pem = """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7
        Qm9vdHN0cmFwcGVkS2V5TWF0ZXJpYWxGb3JUZXN0aW5nT25seQ
        zZ8Pq3
        -----END PRIVATE KEY-----
        """

    static func project(_ scratch: Scratch, steps: String) throws -> String {
        try scratch.file(
            "leak/lander.yml",
            """
            project: leak
            variables:
              t: { secret: LEAK_TOKEN }
              key: { secret: LEAK_KEY }
            environments:
              test:
                targets:
                  t1: { root: \(scratch.url.path)/leak/targets/t1, roles: [app] }
            steps:
            \(steps)
            """)
    }

    /// Everything a user or the store keeps of one deployment, joined: its output, show, logs, history, the file.
    static func everything(_ file: String, deploy: Lander.Run, scratch: Scratch) async throws -> String {
        let history = try await Lander.run(["history", "-f", file, "--json"])
        let id = try #require(try StoreCommandsTests.ids(history.stdout).first?.id)
        let show = try await Lander.run(["show", id, "-f", file])
        let logs = try await Lander.run(["logs", id, "-f", file])
        let database = scratch.url.appendingPathComponent("leak/.lander")
        var files = ""
        for name in (try? FileManager.default.contentsOfDirectory(atPath: database.path)) ?? [] {
            let data = (try? Data(contentsOf: database.appendingPathComponent(name))) ?? Data()
            files += String(decoding: data, as: UTF8.self)
        }
        return [deploy.stdout, deploy.stderr, history.stdout, show.stdout, logs.stdout, files]
            .joined(separator: "\n")
    }

    // Fragments of 4 characters are looked for everywhere, the store's own schema too: the secrets avoid
    // words it holds ("back" is in "callback").
    @Test(arguments: ["abc'def-Q7", #"ab"cd-Q7"#, "a b&c=d/e-Q7", "bqck\\slash$Q7"])
    func aSecretNeedingQuotesOrEscapesIsMaskedInPlanDeployShowHistoryAndTheStore(_ secret: String) async throws {
        let scratch = try Scratch()
        let file = try Self.project(
            scratch, steps: #"  - { name: use, on: app, run: [sh, -c, 'echo "$1"; exit 3', "-", "{{t}}"] }"#)
        let environment = ["LEAK_TOKEN": secret, "LEAK_KEY": "unused-key"]
        let fragments = [String(secret.prefix(4)), String(secret.suffix(5))]
        for format in ["text", "json", "mermaid", "dot"] {
            let plan = try await Lander.run(
                ["plan", "-e", "test", "-f", file, "--format", format], environment: environment)
            #expect(plan.status == 0, "\(plan.stderr)")
            for fragment in fragments {
                #expect(!plan.stdout.contains(fragment), "plan --format \(format) showed the secret:\n\(plan.stdout)")
            }
        }
        let deploy = try await Lander.run(
            ["deploy", "-e", "test", "-f", file, "--version", "1", "--plain", "-v"], environment: environment)
        #expect(deploy.status != 0, "the step exits 3")
        #expect(deploy.stdout.contains("••••••"), "\(deploy.stdout)")
        let all = try await Self.everything(file, deploy: deploy, scratch: scratch)
        for fragment in fragments { #expect(!all.contains(fragment), "the secret leaked:\n\(all)") }
    }

    @Test func aSecretOfSeveralLinesIsMaskedLineByLineInOutputLogsAndTheStore() async throws {
        let scratch = try Scratch()
        let file = try Self.project(
            scratch,
            steps: """
                  - { name: show-key, on: app, run: [sh, -c, 'printf "%s\\n" "$KEY"'], env: { KEY: "{{key}}" } }
                  - { name: encode, on: app, run: [sh, -c, 'printf %s "$TOK" | base64; python3 -c "import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=str()))" "$TOK"'], env: { TOK: "{{t}}" } }
                """)
        let deploy = try await Lander.run(
            ["deploy", "-e", "test", "-f", file, "--version", "1", "--plain", "-v"],
            environment: ["LEAK_TOKEN": "tok/en with space+plus-9", "LEAK_KEY": Self.pem])
        #expect(deploy.status == 0, "\(deploy.stderr)")
        let all = try await Self.everything(file, deploy: deploy, scratch: scratch)
        for line in Self.pem.split(separator: "\n") where line.count >= 4 && !line.hasPrefix("-----") {
            #expect(!all.contains(line), "a line of the key leaked: \(line)")
        }
        let base64 = Data("tok/en with space+plus-9".utf8).base64EncodedString()
        #expect(!all.contains(base64), "the base64 form leaked")
        #expect(!all.contains("tok%2Fen%20with"), "the URL-encoded form leaked")
        #expect(all.contains("••••••"))
    }
}
