import Foundation
import LanderTesting
import Testing

/// `lander store migrate --to postgres://…` and the commands on a PostgreSQL store, as a user meets them.
@Suite struct StoreMigrateTests {
    @Test func anEmbeddedStoresHistoryMovesToPostgreSQLWholeAndOnlyOnce() async throws {
        let scratch = try Scratch()
        let file = try StoreCommandsTests.project(
            scratch, steps: "  - { name: hello, on: app, run: [sh, -c, 'echo hello {{release.version}}'] }")
        for version in ["1.0", "1.1"] {
            let run = try await Lander.run(["deploy", "-f", file, "-e", "prod", "--version", version, "--plain"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let url = try await TestPostgres.shared().freshDatabase()
        let parts = try #require(URLComponents(string: url))
        let password = parts.password ?? ""
        let bare = url.replacingOccurrences(of: ":\(password)@", with: "@")
        let environment = ["PGPASSWORD": password]
        let migrated = try await Lander.run(
            ["store", "migrate", "-f", file, "--to", bare], environment: environment)
        #expect(migrated.status == 0, "\(migrated.stderr)")
        #expect(migrated.stdout.contains("2 deployment") && migrated.stdout.contains("log_line"), "\(migrated.stdout)")
        #expect(!migrated.stdout.contains(password) && !migrated.stderr.contains(password))
        let before = try await Lander.run(["history", "-f", file, "--json"])
        let after = try await Lander.run(["history", "-f", file, "--store", bare, "--json"], environment: environment)
        #expect(after.status == 0, "\(after.stderr)")
        let old = try StoreCommandsTests.ids(before.stdout)
        #expect(old.count == 2)
        #expect(try StoreCommandsTests.ids(after.stdout).map(\.id) == old.map(\.id))
        let logs = try await Lander.run(["logs", old[0].id, "-f", file, "--store", bare], environment: environment)
        #expect(logs.stdout.contains("hello 1.1"), "\(logs.stdout)")
        // The copied store goes on: a deployment recorded there is numbered after the copied rows.
        let next = try await Lander.run(
            ["deploy", "-f", file, "-e", "prod", "--version", "1.2", "--plain", "--store", bare],
            environment: environment)
        #expect(next.status == 0, "\(next.stderr)")
        let again = try await Lander.run(["store", "migrate", "-f", file, "--to", bare], environment: environment)
        #expect(again.status == 3 && again.stderr.contains("already holds history"), "\(again.stderr)")
        let wrong = try await Lander.run(
            ["history", "-f", file, "--store", bare], environment: ["PGPASSWORD": "wrong"])
        #expect(wrong.status == 3 && wrong.stderr.contains("password authentication failed"), "\(wrong.stderr)")
    }
}
