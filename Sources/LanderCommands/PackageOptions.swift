import ArgumentParser
import Foundation

/// `--package ID=VERSION` (repeatable): the exact package versions of a release.
struct PackageOptions: ParsableArguments {
    @Option(
        name: .customLong("package"),
        help: ArgumentHelp(
            "A package's version, ID=VERSION (repeatable; `latest` resolves now). Default: the release version.",
            valueName: "id=version"))
    var packages: [String] = []

    /// The versions asked for, by package id; a malformed `--package` exits 64.
    func wanted() throws -> [String: String] {
        var wanted: [String: String] = [:]
        for entry in packages {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                printError("lander: --package \(entry): write ID=VERSION, e.g. --package app=1.4.2")
                throw ExitCode(ExitCodes.usage)
            }
            wanted[parts[0]] = parts[1]
        }
        return wanted
    }
}
