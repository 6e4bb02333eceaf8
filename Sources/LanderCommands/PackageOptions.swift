import ArgumentParser
import Foundation
import LanderModel
import LanderPackages

/// `--package ID=VERSION` (repeatable): the exact package versions of a release.
struct PackageOptions: ParsableArguments {
    @Option(
        name: .customLong("package"),
        help: ArgumentHelp(
            "A package's version, ID=VERSION (repeatable; `latest` resolves now). Default: the release version.",
            valueName: "id=version"))
    var packages: [String] = []

    /// The project's packages resolved against their feeds: exact versions, files and hashes.
    func resolve(for project: Project, projectDirectory: String, releaseVersion: String) async throws
        -> [ResolvedPackage]
    {
        var wanted: [String: String] = [:]
        for entry in packages {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                printError("lander: --package \(entry): write ID=VERSION, e.g. --package app=1.4.2")
                throw ExitCode(ExitCodes.usage)
            }
            guard project.packages.contains(where: { $0.id == parts[0] }) else {
                let known = project.packages.map(\.id).joined(separator: ", ")
                printError(
                    "lander: --package \(entry): lander.yml declares no package '\(parts[0])'"
                        + (known.isEmpty ? "" : " (it declares: \(known))"))
                throw ExitCode(ExitCodes.invalidProject)
            }
            wanted[parts[0]] = parts[1]
        }
        var resolved: [ResolvedPackage] = []
        for spec in project.packages {
            let feed = Feed(spec.feed, projectDirectory: projectDirectory)
            do {
                resolved.append(try await feed.resolve(spec.id, version: wanted[spec.id] ?? releaseVersion))
            } catch {
                printError("lander: \(error)")
                printError(
                    "lander: cannot resolve the packages of \(project.name) \(releaseVersion); nothing was deployed")
                throw ExitCode(ExitCodes.invalidProject)
            }
        }
        return resolved
    }
}
