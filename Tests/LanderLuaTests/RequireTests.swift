import Foundation
import Testing

@testable import LanderLua

@Suite struct RequireTests {
    @Test func modulesLoadFromThePluginPathInOrder() async throws {
        let first = try PluginTree()
        let second = try PluginTree()
        try first.write("greet/init.lua", "return { who = 'first' }")
        try second.write("greet/init.lua", "return { who = 'second' }")
        try second.write("greet/format.lua", "return function(s) return '<' .. s .. '>' end")
        try second.write("solo.lua", "return 'solo module'")
        let runtime = try LuaRuntime.testing(plugins: [first.path, second.path])
        let results = try await runtime.eval(
            "return require('greet').who, require('greet.format')('x'), require('solo'), require('greet') == require('greet')"
        )
        #expect(results == ["first", "<x>", "solo module", true])
    }

    @Test(arguments: ["../etc/passwd", "a/b", "..", "a..b", ".hidden", "a.", "/abs", "x y", ""])
    func escapingNamesAreRefused(name: String) async throws {
        let tree = try PluginTree()
        let runtime = try LuaRuntime.testing(plugins: [tree.path])
        let error = try #require(
            await luaError {
                _ = try await runtime.eval("require(...)".replacingOccurrences(of: "...", with: "'\(name)'"))
            })
        #expect(error.message.contains("is not allowed"))
    }

    @Test func symlinkOutOfThePluginDirectoryIsRefused() async throws {
        let tree = try PluginTree()
        let outside = try PluginTree()
        try outside.write("secret.lua", "return 'outside'")
        try FileManager.default.createSymbolicLink(
            atPath: tree.path + "/sneaky.lua", withDestinationPath: outside.path + "/secret.lua")
        let runtime = try LuaRuntime.testing(plugins: [tree.path])
        let error = try #require(await luaError { _ = try await runtime.eval("return require('sneaky')") })
        #expect(error.message.contains("outside its plugin directory"))
    }

    @Test func missingModuleSaysWhereItLooked() async throws {
        let tree = try PluginTree()
        let runtime = try LuaRuntime.testing(plugins: [tree.path])
        let error = try #require(await luaError { _ = try await runtime.eval("\nrequire('nowhere')") })
        #expect(error.line == 2)
        #expect(error.message.contains("module 'nowhere' not found"))
        #expect(error.message.contains(tree.path + "/nowhere.lua"))
    }

    @Test func eachPluginHasItsOwnEnvironment() async throws {
        let tree = try PluginTree()
        try tree.write(
            "alpha/init.lua",
            "counter = 1; local helper = require('alpha.helper'); return { get = function() return counter, helper() end }"
        )
        try tree.write("alpha/helper.lua", "return function() return counter end")
        try tree.write("beta/init.lua", "return { get = function() return counter end }")
        let runtime = try LuaRuntime.testing(plugins: [tree.path])
        let results = try await runtime.eval(
            "local a, b = require('alpha'), require('beta'); local c, h = a.get(); return c, h, b.get(), counter")
        #expect(results == [1, 1, .nil, .nil])
    }

    @Test func aModuleThatFailedCanBeRetriedAfterItIsFixed() async throws {
        let tree = try PluginTree()
        try tree.write("flaky/init.lua", "error('not yet')")
        let runtime = try LuaRuntime.testing(plugins: [tree.path])
        #expect(await luaError { _ = try await runtime.require("flaky") }?.message == "not yet")
        try tree.write("flaky/init.lua", "return 'ready'")
        #expect(try await runtime.require("flaky") == "ready")
    }

    @Test func standardPathFollowsTheDesignOrder() {
        let path = PluginPath.standard(
            flags: ["/flag"], project: ["/project"],
            environment: ["LANDER_PLUGIN_PATH": "/env1:/env2", "HOME": "/home/u"],
            executable: "/opt/lander/bin/lander")
        #expect(
            path.directories == [
                "/flag", "/project", "/env1", "/env2", "/home/u/.lander/plugins", "/opt/lander/share/lander/plugins",
            ])
    }

    @Test func aBinaryInItsBuildTreeFindsTheRepositoryPlugins() {
        let path = PluginPath.standard(
            environment: [:], executable: "/src/lander/.build/x86_64-unknown-linux-gnu/debug/lander")
        #expect(
            path.directories == [
                "/src/lander/.build/x86_64-unknown-linux-gnu/share/lander/plugins", "/src/lander/Plugins",
            ])
    }
}
