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
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
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
            /** The embedded, sandboxed Lua runtime: values, host functions, coroutines, limits, require. */
            name: "LanderLua",
            dependencies: ["CLua", "CLuaShim"],
            swiftSettings: settings
        ),
        .target(
            /** Argument-parser commands; the only place errors become exit codes and messages. */
            name: "LanderCommands",
            dependencies: [
                "LanderLua",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
            dependencies: ["LanderLua"],
            swiftSettings: settings
        ),
        .testTarget(
            /** Tests of the Lua runtime against real Lua states. */
            name: "LanderLuaTests",
            dependencies: ["LanderLua", "CLuaShim"],
            swiftSettings: settings
        ),
        .testTarget(
            /** Tests that run the built `lander` executable as a user would. */
            name: "LanderCommandsTests",
            dependencies: ["lander"],
            swiftSettings: settings
        ),
    ],
    swiftLanguageModes: [.v6]
)
