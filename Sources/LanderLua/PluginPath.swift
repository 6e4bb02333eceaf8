import Foundation

/// The ordered directories Lua modules load from; the first directory holding a module wins.
public struct PluginPath: Sendable, Equatable {
    /// The directories, searched in order.
    public var directories: [String]

    /// A path of explicit directories.
    public init(_ directories: [String]) { self.directories = directories }

    /// The path in DESIGN order: `--plugins` flags, the project's `plugins:`, `LANDER_PLUGIN_PATH`,
    /// the user's directory (`~/.lander/plugins`), then the installed one (`<prefix>/share/lander/plugins`, or
    /// the repository's `Plugins/` for a binary run from its build tree).
    public static func standard(
        flags: [String] = [], project: [String] = [], environment: [String: String]? = nil,
        executable: String? = CommandLine.arguments.first
    ) -> PluginPath {
        let environment = environment ?? ProcessInfo.processInfo.environment
        var directories = flags + project
        if let path = environment["LANDER_PLUGIN_PATH"] {
            directories += path.split(separator: ":").map(String.init)
        }
        if let home = environment["HOME"] { directories.append(home + "/.lander/plugins") }
        if let executable {
            let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
            directories.append(binary.deletingLastPathComponent().appendingPathComponent("share/lander/plugins").path)
            // A binary run from its SwiftPM build tree (`<repository>/.build/…/lander`) ships the repository's.
            if let range = binary.path.range(of: "/.build/") {
                directories.append(String(binary.path[..<range.lowerBound]) + "/Plugins")
            }
        }
        var seen: Set<String> = []
        return PluginPath(directories.filter { seen.insert($0).inserted })
    }

    /// A module found on the path.
    public struct Module: Sendable, Equatable {
        /// The plugin the module belongs to: the first component of its name.
        public var plugin: String
        /// The file's path on disk.
        public var path: String
        /// The chunk name errors show: the path relative to its plugin directory's parent.
        public var chunk: String
    }

    /// Whether a module name is acceptable: dotted components of letters, digits, `_` and `-`.
    public static func isValidModuleName(_ name: String) -> Bool {
        let components = name.split(separator: ".", omittingEmptySubsequences: false)
        return !components.isEmpty
            && components.allSatisfy { component in
                guard let first = component.first, first != "-" else { return false }
                return component.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
            }
    }

    /// Finds a module: `a.b` is `a/b.lua` or `a/b/init.lua` under one of the directories.
    public func locate(_ name: String) throws(LuaError) -> Module {
        guard Self.isValidModuleName(name) else {
            throw LuaError(
                .module,
                message: "module name '\(name)' is not allowed: use dotted names such as 'notify' or "
                    + "'notify.format' (letters, digits, '_' and '-'; no '/' or '..')")
        }
        let components = name.split(separator: ".").map(String.init)
        let relative = components.joined(separator: "/")
        var tried: [String] = []
        for directory in directories {
            for candidate in [relative + ".lua", relative + "/init.lua"] {
                let path = directory + "/" + candidate
                tried.append(path)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue
                else { continue }
                let root = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
                let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
                guard resolved.hasPrefix(root + "/") else {
                    throw LuaError(
                        .module,
                        message:
                            "module '\(name)' at \(path) resolves to \(resolved), outside its plugin directory \(root)")
                }
                return Module(plugin: components[0], path: path, chunk: candidate)
            }
        }
        let searched = tried.isEmpty ? "the plugin path is empty" : "tried " + tried.joined(separator: ", ")
        throw LuaError(
            .module,
            message: "module '\(name)' not found (\(searched)); add its directory with --plugins DIR, "
                + "plugins: in lander.yml or LANDER_PLUGIN_PATH")
    }
}
