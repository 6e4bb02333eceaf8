import Foundation
import LanderModel
import LanderPackages
import LanderTransport

/// Puts one package on one target through its connection: skips a target already holding the same hash;
/// otherwise pushes the cached file (or has the target pull it from the feed or a mirror and check its
/// hash), checks the archive's entries, unpacks it beside the old copy and swaps, substitutes variables
/// in listed files, and records the hash.
struct PackageDelivery {
    let package: PlannedPackage
    let target: PlannedTarget
    let connection: any TargetConnection
    /// The orchestrator's cached copy (push only).
    let cached: String?

    /// How a delivery went.
    enum Outcome: Equatable {
        /// The target already held this hash.
        case present
        /// Uploaded through the transport (bytes sent).
        case pushed(Int)
        /// Downloaded by the target itself from this URL.
        case pulled(String)
        /// Unpacked again from the copy the target keeps (its substituted variables changed); nothing sent.
        case reused
    }

    private var resolved: ResolvedPackage { package.package }
    private var name: String { "package \(resolved.id) \(resolved.version)" }
    private var marker: String { ".lander/packages/\(resolved.id).sha256" }
    private var staged: String { ".lander/packages/\(resolved.id)-\(resolved.sha256)" }

    /// What the marker holds once delivered: the hash, and for substituted packages a fingerprint of the
    /// target's variables (new values unpack again from the kept copy).
    private var wanted: String {
        guard !package.spec.substitute.isEmpty else { return resolved.sha256 }
        let variables = target.variables.sorted { $0.key < $1.key }.map { "\($0.key)=\(Expression.render($0.value))" }
        return resolved.sha256 + " " + PackageCache.sha256(text: variables.joined(separator: "\n"))
    }
    private var destination: String { package.spec.destination }

    func run() async throws(PackageError) -> Outcome {
        let held = try await sh(
            #"""
            mkdir -p .lander/packages
            if [ -d "$2" ] && [ -f "$1" ]; then cat "$1"; else echo; fi
            if [ -f "$3" ]; then echo kept; fi
            for previous in .lander/packages/"$4"-*; do [ -f "$previous" ] && echo "basis $previous"; done
            true
            """#, [marker, destination, staged, resolved.id], "checking what it holds")
        let lines = held.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let wanted = self.wanted
        if lines.first == wanted { return .present }
        // The copy of an earlier version it keeps: only the difference needs to travel.
        let basis = lines.first { $0.hasPrefix("basis ") }.map { String($0.dropFirst("basis ".count)) }
        let outcome: Outcome
        switch lines.contains("kept") ? nil : (target.acquisition.mode ?? .push) {
        case nil:
            outcome = .reused
        case .push:
            guard let cached else { throw PackageError("\(name): nothing acquired to push") }
            do {
                outcome = .pushed(try await connection.send(cached, to: staged, basis: basis))
            } catch {
                throw PackageError("\(name): uploading to \(target.name) failed: \(error.message)")
            }
        case .pull:
            outcome = .pulled(try await pull())
        }
        try await checkEntries()
        let kind = package.spec.unpack ?? UnpackKind.of(fileName: resolved.file)
        _ = try await sh(
            #"""
            set -e
            mkdir -p "$(dirname "$2")"
            rm -rf "$2.new" && mkdir -p "$2.new"
            case "$3" in
              tar.gz) tar -xzf "$1" -C "$2.new" --no-same-owner ;;
              zip) unzip -q "$1" -d "$2.new" ;;
              *) ln "$1" "$2.new/$4" 2>/dev/null || cp "$1" "$2.new/$4" ;;
            esac
            rm -rf "$2.old"
            if [ -e "$2" ]; then mv "$2" "$2.old"; fi
            mv "$2.new" "$2"
            rm -rf "$2.old"
            """#, [staged, destination, kind.rawValue, resolved.file], "unpacking")
        try await substitute()
        _ = try await sh(
            #"""
            printf '%s\n' "$2" > "$1.new" && mv "$1.new" "$1"
            for kept in .lander/packages/"$4"-*; do [ "$kept" = "$3" ] || rm -f "$kept"; done
            """#, [marker, wanted, staged, resolved.id], "recording it")
        return outcome
    }

    /// The target downloads the file itself and checks its hash; the URL it used.
    private func pull() async throws(PackageError) -> String {
        let base = target.acquisition.mirror ?? resolved.feed
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw PackageError(
                "\(name): \(target.name) pulls, but the feed \(base) is a directory on this machine",
                hint: "give the environment or target a mirror: URL, or use acquisition: push")
        }
        let url = resolved.location(in: base)
        let fetched = try await sh(
            #"curl -fsS --retry 2 -o "$1.part" "$2" && sha256sum "$1.part""#, [staged, url], "downloading \(url)")
        let actual = fetched.stdout.split(separator: " ").first.map(String.init) ?? ""
        guard actual == resolved.sha256 else {
            _ = try? await sh(#"rm -f "$1.part""#, [staged], "cleaning up")
            throw PackageError(
                "\(name) (\(resolved.file)) from \(url): hash mismatch on \(target.name): expected sha256 "
                    + "\(resolved.sha256), got \(actual)")
        }
        _ = try await sh(#"mv "$1.part" "$1""#, [staged], "keeping the download")
        return url
    }

    /// Refuses an archive with entries that would land outside the destination.
    private func checkEntries() async throws(PackageError) {
        let kind = package.spec.unpack ?? UnpackKind.of(fileName: resolved.file)
        var entries: [ArchiveCheck.Entry]
        switch kind {
        case .file: return
        case .tarGz:
            let listing = try await run(["tar", "-tvzf", staged, "--quoting-style=escape"], "listing the archive")
            entries = ArchiveCheck.tarEntries(listing.stdout)
        case .zip:
            let listing = try await run(["zipinfo", staged], "listing the archive")
            entries = ArchiveCheck.zipEntries(listing.stdout)
            for index in entries.indices where entries[index].kind == "l" {
                let link = try await run(["unzip", "-p", staged, entries[index].path], "reading a link")
                entries[index].linkTarget = link.stdout
            }
        }
        let problems = ArchiveCheck.problems(entries)
        guard problems.isEmpty else {
            _ = try? await sh(#"rm -f "$1""#, [staged], "removing the refused file")
            throw PackageError(
                "\(name) (\(resolved.file)) refused: " + problems.prefix(5).joined(separator: "; "),
                hint: "rebuild the archive with paths relative to its top, and links that stay inside it")
        }
    }

    /// Replaces `{{…}}` in the listed files with this target's values (never logged: they may hold secrets).
    private func substitute() async throws(PackageError) {
        guard !package.spec.substitute.isEmpty else { return }
        let scope = ExpressionScope(values: target.variables, final: true)
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("lander-substitute-\(UUID())")
        try? FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: local) }
        for file in package.spec.substitute {
            let remote = destination + "/" + file
            let copy = local.appendingPathComponent("file").path
            do {
                try await connection.download(remote, to: copy)
            } catch {
                throw PackageError("\(name): substitute: \(file) is not in the package on \(target.name)")
            }
            guard let data = FileManager.default.contents(atPath: copy) else {
                throw PackageError("\(name): substitute: cannot read \(file)")
            }
            let text: String
            do {
                text = try Expression.resolve(String(decoding: data, as: UTF8.self), in: scope)
            } catch {
                throw PackageError("\(name): substitute: \(file): \(error) on \(target.name)")
            }
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: copy))
                try await connection.upload(copy, to: remote)
            } catch {
                throw PackageError("\(name): substitute: writing \(file) on \(target.name) failed")
            }
        }
    }

    // MARK: Commands

    /// A fixed shell script with its values as positional arguments (never pasted into the script).
    private func sh(_ script: String, _ arguments: [String], _ what: String) async throws(PackageError)
        -> CommandResult
    {
        try await run(["sh", "-c", script, "sh"] + arguments, what)
    }

    private func run(_ argv: [String], _ what: String) async throws(PackageError) -> CommandResult {
        let result: CommandResult
        do {
            result = try await connection.run(Command(argv), options: RunOptions(timeout: .seconds(3600)))
        } catch {
            throw PackageError("\(name) on \(target.name): \(what): \(error.message)")
        }
        guard result.succeeded else {
            let detail = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw PackageError(
                "\(name) on \(target.name): \(what) failed: "
                    + (detail.isEmpty ? "exit code \(result.exitCode)" : detail))
        }
        return result
    }
}
