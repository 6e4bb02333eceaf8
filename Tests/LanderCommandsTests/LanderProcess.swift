import Foundation
import LanderTesting

/// The built `lander` executable, run as a user would.
enum Lander {
    /// The directory the test bundle was built into; `lander` is built beside it.
    static var executable: URL {
        get throws {
            let bundle = Bundle.main.bundleURL
            for directory in [
                bundle, bundle.deletingLastPathComponent(),
                URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            ] {
                let candidate = directory.appendingPathComponent("lander")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "lander next to \(bundle.path)"])
        }
    }

    /// The outcome of one run.
    typealias Run = ProgramRun

    /// Runs `lander` with arguments and waits (bounded) for it to exit.
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60))
        async throws -> Run
    {
        try await Program.run(executable.path, arguments, environment: environment, timeout: timeout)
    }
}
