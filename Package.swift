// swift-tools-version: 6.0
import PackageDescription

let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Lander",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lander", targets: ["lander"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/mxcl/Version", from: "2.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.20.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.30.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        .systemLibrary(
            /** The system Lua 5.4 (Debian: liblua5.4-dev), found through pkg-config. */
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        .target(
            /** C shim: the trampoline, budget hook, counting allocator and wrappers for Lua's macros. */
            name: "CLuaShim",
            dependencies: ["CLua"]
        ),
        .target(
            /** C helpers for the local transport: posix_spawn into a process group, pidfd_open, wait statuses. */
            name: "CLanderProcess"
        ),
        .target(
            /** How commands reach targets: argv commands as data; local processes in process groups. */
            name: "LanderTransport",
            dependencies: ["CLanderProcess", "LanderModel"],
            swiftSettings: settings
        ),
        .target(
            /** Pure value types: projects, environments, targets, steps, tasks, diagnostics. No I/O. */
            name: "LanderModel",
            dependencies: [.product(name: "Version", package: "Version")],
            swiftSettings: settings
        ),
        .target(
            /** lander.yml → LanderModel, reporting every problem at once with file:line:column. */
            name: "LanderLoading",
            dependencies: ["LanderModel", .product(name: "Yams", package: "Yams")],
            swiftSettings: settings
        ),
        .target(
            /** Packages: feeds (directory, HTTP), the content-addressed cache, hashes, archive checks. */
            name: "LanderPackages",
            dependencies: ["LanderModel", "LanderTransport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: settings
        ),
        .target(
            /** Planner and executor: steps in sequence, tasks in parallel, outputs, sessions, hooks, cancellation. */
            name: "LanderEngine",
            dependencies: ["LanderModel", "LanderTransport", "LanderPackages"],
            swiftSettings: settings
        ),
        .target(
            /** The embedded, sandboxed Lua runtime: values, host functions, coroutines, limits, require. */
            name: "LanderLua",
            dependencies: ["CLua", "CLuaShim", "LanderEngine", "LanderModel", "LanderTransport"],
            swiftSettings: settings
        ),
        .target(
            /** The state store: deployments, results, logs, events and locks; SQLite (GRDB, WAL) or PostgreSQL. */
            name: "LanderStore",
            dependencies: [
                "LanderEngine", "LanderModel", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: settings
        ),
        .target(
            /** The one way to plan, start, watch, cancel, resume, roll back and abandon deployments. */
            name: "LanderService",
            dependencies: [
                "LanderEngine", "LanderLua", "LanderStore", "LanderLoading", "LanderPackages", "LanderTransport",
                "LanderModel", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: settings
        ),
        .target(
            /** Subscriptions: the outbox read from the event table, webhooks (signed, retried) and SMTP mail. */
            name: "LanderNotify",
            dependencies: [
                "LanderModel", "LanderStore", "LanderEngine", "LanderLua",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: settings
        ),
        .target(
            /** HTTP over the service (Hummingbird): the phone-home endpoint, `lander server`'s API and dashboard. */
            name: "LanderHTTP",
            dependencies: [
                "LanderService", "LanderEngine", "LanderNotify", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"), "LanderStore", "LanderModel",
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ],
            swiftSettings: settings
        ),
        .target(
            /** `lander agent`: a target's outbound connection to the server (enrolment, identity, reconnects). */
            name: "LanderAgent",
            dependencies: [
                "LanderService", "LanderTransport", "LanderModel",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: settings
        ),
        .target(
            /** Argument-parser commands over the service; the only place errors become exit codes and messages. */
            name: "LanderCommands",
            dependencies: [
                "LanderService",
                "LanderHTTP",
                "LanderNotify",
                "LanderAgent",
                "LanderLua",
                "LanderStore",
                "LanderEngine",
                "LanderLoading",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            /** The `lander` executable: a few lines that start LanderCommands. */
            name: "lander",
            dependencies: ["LanderCommands"],
            swiftSettings: settings
        ),
        .executableTarget(
            /** Benchmarks that print figures, run by `Scripts/bench` in release mode. */
            name: "lander-bench",
            dependencies: [
                "LanderService", "LanderLua", "LanderEngine", "LanderLoading", "LanderStore", "LanderTransport",
            ],
            swiftSettings: settings
        ),
        .target(
            /** Test support shared by the test targets: an in-memory journal, a fake script host. */
            name: "LanderTesting",
            dependencies: ["CLanderProcess", "LanderEngine", "LanderModel", "LanderTransport"],
            path: "Tests/LanderTesting",
            swiftSettings: settings
        ),
        .testTarget(
            /** Tests of the Lua runtime against real Lua states. */
            name: "LanderLuaTests",
            dependencies: ["LanderLua", "CLuaShim"],
            swiftSettings: settings
        ),
        .testTarget(
            /** Tests of planning and running deployments: real processes, real Lua, real files. */
            name: "LanderEngineTests",
            dependencies: [
                "LanderEngine", "LanderLua", "LanderLoading", "LanderModel", "LanderTransport", "LanderPackages",
                "LanderTesting",
            ],
            swiftSettings: settings
        ),
        .testTarget(
            /** Tests of the state store against real SQLite files: records, locks, refusals. */
            name: "LanderStoreTests",
            dependencies: [
                "LanderTesting",
                "LanderStore", "LanderEngine", "LanderModel", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            /** Tests of the local transport against real processes. */
            name: "LanderTransportTests",
            dependencies: ["LanderTesting", "LanderTransport"],
            swiftSettings: settings
        ),
        .testTarget(
            /** Tests of the SSH transport and of deployments over it, against real sshd on 127.0.0.1. */
            name: "LanderSSHTests",
            dependencies: [
                "LanderTesting", "LanderTransport", "LanderEngine", "LanderLoading", "LanderLua", "LanderModel",
                "LanderService", "LanderHTTP",
            ],
            swiftSettings: settings
        ),
        .testTarget(
            /** Tests of loading lander.yml: fixtures and every diagnostic. */
            name: "LanderLoadingTests",
            dependencies: ["LanderLoading"],
            swiftSettings: settings
        ),
        .testTarget(
            /** Tests of the outbox on real SQLite files: which events become which deliveries. */
            name: "LanderNotifyTests",
            dependencies: ["LanderNotify", "LanderStore", "LanderEngine", "LanderLua", "LanderModel", "LanderTesting"],
            swiftSettings: settings
        ),
        .testTarget(
            /** Tests of the service layer: deployments started, watched and cancelled as library calls. */
            name: "LanderServiceTests",
            dependencies: ["LanderService", "LanderEngine", "LanderHTTP", "LanderStore", "LanderTesting"],
            swiftSettings: settings
        ),
        .testTarget(
            /** Tests that run the built `lander` executable as a user would. */
            name: "LanderCommandsTests",
            dependencies: ["lander", "LanderTesting"],
            swiftSettings: settings
        ),
    ],
    swiftLanguageModes: [.v6]
)
