import Foundation
import LanderTesting
import Testing

/// The live board a terminal shows (run under a pseudo-terminal with util-linux `script`).
@Suite struct LiveBoardTests {
    @Test func aRollingStepShowsEachTargetsPlaceInTheRollout() async throws {
        let scratch = try Scratch()
        let file = try scratch.file(
            "shop/lander.yml",
            """
            project: shop
            environments:
              test:
                targets:
                  web-[1:2]: { roles: [web] }
            steps:
              - { name: restart, on: web, rolling: { precheck: none, verify: none, settle: 0s }, run: [sleep, "0.3"] }
            """)
        let lander = try Lander.executable.path
        // script runs lander on a pseudo-terminal: lander draws its live board, as on an operator's screen.
        let run = try await RollingFleet.shell(
            [
                "/bin/sh", "-c", "script -qec \"$0 deploy -f $1 -e test --version 1\" /dev/null > board.txt",
                lander, file,
            ], in: scratch.url)
        #expect(run == 0)
        let board = try String(contentsOf: scratch.url.appendingPathComponent("board.txt"), encoding: .utf8)
        for target in ["web-1", "web-2"] {
            #expect(board.contains("… \(target)  restart rollout  deploying"), "\(board)")
            #expect(board.contains("✔ \(target)  restart  ok"), "\(board)")
        }
    }
}
