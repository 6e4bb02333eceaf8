import LanderModel
import Testing

@testable import LanderLoading

/// `packages:`, and `acquisition:`/`mirror:` on environments and targets.
@Suite struct PackageLoadingTests {
    @Test func packagesAndAcquisitionLoad() throws {
        let project = try ProjectLoader.load(
            yaml: """
                project: shop
                packages:
                  - { id: app, feed: ./feed, substitute: [config/app.json], on: web }
                  - { id: tool, feed: "https://packages.example.com", unpack: file, destination: bin, on: [web, db] }
                environments:
                  prod:
                    acquisition: pull
                    mirror: http://mirror.internal:8080
                    targets:
                      web-1: { roles: [web], acquisition: push }
                      db-1: { roles: [db] }
                steps:
                  - { name: s, on: web, run: [true] }
                """, file: "lander.yml")
        #expect(project.packages.map(\.id) == ["app", "tool"])
        #expect(project.packages[0].destination == "packages/app" && project.packages[0].unpack == nil)
        #expect(project.packages[0].substitute == ["config/app.json"] && project.packages[0].roles == ["web"])
        #expect(project.packages[1].unpack == .file && project.packages[1].destination == "bin")
        #expect(project.packages[1].roles == ["web", "db"])
        let prod = try #require(project.environment(named: "prod"))
        #expect(prod.acquisition == AcquisitionPolicy(mode: .pull, mirror: "http://mirror.internal:8080"))
        #expect(prod.targets[0].acquisition.over(prod.acquisition).mode == .push)
        #expect(prod.targets[1].acquisition.over(prod.acquisition).mode == .pull)
    }

    @Test func packageMistakesAreReported() {
        let found = problems(
            """
            project: shop
            packages:
              - { id: app }
              - { feed: ./feed }
              - { id: app, feed: ./feed, unpack: rar }
              - { id: web, feed: ./feed, destination: ../../etc }
              - { id: "../x", feed: ./feed }
              - { id: one, feed: ./feed, destination: shared }
              - { id: two, feed: ./feed, destination: shared }
            environments:
              prod:
                acquisition: carrier-pigeon
                mirror: ftp://mirror
                targets:
                  a: { roles: [web] }
            steps:
              - { name: s, on: web, run: [true] }
            """)
        #expect(found.contains { $0.hasPrefix("lander.yml:3:") && $0.contains("package 'app' has no feed") })
        #expect(found.contains { $0.hasPrefix("lander.yml:4:") && $0.contains("package 2 has no id") })
        #expect(found.contains { $0.contains("unknown unpack: 'rar' for package 'app'") })
        #expect(found.contains { $0.contains("package 'app' is declared twice") })
        #expect(found.contains { $0.contains("destination of package 'web' must stay inside the target's root") })
        #expect(found.contains { $0.contains("package id '../x' may hold only") })
        #expect(found.contains { $0.contains("unknown acquisition: 'carrier-pigeon'") })
        #expect(found.contains { $0.contains("packages 'one' and 'two' both unpack to shared") })
        #expect(found.contains { $0.contains("mirror of environment 'prod' must be an http(s):// URL") })
    }
}
