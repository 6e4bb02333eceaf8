/// A package the project deploys: fetched once from a feed, distributed to targets before the steps run.
public struct PackageSpec: Sendable, Hashable {
    /// The package's id, e.g. `app` (the feed serves `<id>/<version>/…`).
    public var id: String
    /// A directory (relative to the project file) or an `http(s)://` URL.
    public var feed: String
    /// How it is unpacked on the target (nil: from the file's name).
    public var unpack: UnpackKind?
    /// Where it lands, relative to the target's root (default `packages/<id>`).
    public var destination: String
    /// Files (relative to the destination) whose `{{…}}` expressions are replaced per target after unpacking.
    public var substitute: [String]
    /// The roles whose targets receive it (empty: every target of the environment).
    public var roles: [String]
    /// Where it is declared.
    public var location: SourceLocation?

    /// Creates a package.
    public init(
        id: String, feed: String, unpack: UnpackKind? = nil, destination: String? = nil, substitute: [String] = [],
        roles: [String] = [], location: SourceLocation? = nil
    ) {
        self.id = id
        self.feed = feed
        self.unpack = unpack
        self.destination = destination ?? "packages/\(id)"
        self.substitute = substitute
        self.roles = roles
        self.location = location
    }
}

/// How a package file becomes files on the target.
public enum UnpackKind: String, Sendable, Hashable, CaseIterable {
    /// A gzip-compressed tar archive.
    case tarGz = "tar.gz"
    /// A zip archive.
    case zip
    /// The file as it is.
    case file

    /// The kind a file name implies.
    public static func of(fileName: String) -> UnpackKind {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".tar.gz") || lower.hasSuffix(".tgz") { return .tarGz }
        if lower.hasSuffix(".zip") { return .zip }
        return .file
    }
}

/// Who moves a package to a target.
public enum Acquisition: String, Sendable, Hashable, CaseIterable {
    /// The orchestrator uploads it through the target's transport.
    case push
    /// The target downloads it from the feed (or a mirror) itself and checks its hash.
    case pull
}

/// How the targets of an environment (or one target) get packages.
public struct AcquisitionPolicy: Sendable, Hashable {
    /// Push or pull (nil: inherited; push at the top).
    public var mode: Acquisition?
    /// A feed URL near the targets that serves the same `<id>/<version>/…` paths, for pull.
    public var mirror: String?

    /// Creates a policy.
    public init(mode: Acquisition? = nil, mirror: String? = nil) {
        self.mode = mode
        self.mirror = mirror
    }

    /// This policy, with what it leaves unset taken from `outer`.
    public func over(_ outer: AcquisitionPolicy) -> AcquisitionPolicy {
        AcquisitionPolicy(mode: mode ?? outer.mode, mirror: mirror ?? outer.mirror)
    }
}

/// A package at an exact version: what a release records and a deployment distributes.
public struct ResolvedPackage: Sendable, Hashable, Codable {
    /// The package's id.
    public var id: String
    /// Its exact version.
    public var version: String
    /// The file's name in the feed (`app-1.4.2.tar.gz`).
    public var file: String
    /// The file's SHA-256, lowercase hex.
    public var sha256: String
    /// The feed it comes from, as written in lander.yml (a directory is made absolute).
    public var feed: String

    /// Creates a resolved package.
    public init(id: String, version: String, file: String, sha256: String, feed: String) {
        self.id = id
        self.version = version
        self.file = file
        self.sha256 = sha256
        self.feed = feed
    }

    /// Where the file is, under a feed (or mirror) base: `<base>/<id>/<version>/<file>`.
    public func location(in base: String) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/\(id)/\(version)/\(file)"
    }
}
