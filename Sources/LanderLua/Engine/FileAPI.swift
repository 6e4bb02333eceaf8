import Foundation

/// `lander.fs.read/write`: files under the project's directory, for hooks (notification files, reports).
struct FileAPI {
    /// The directory paths are relative to; nothing outside it can be reached.
    let directory: String

    func install(in runtime: LuaRuntime) {
        let directory = self.directory
        runtime.register("fs.read") { arguments in
            let path = try Self.resolve(arguments.string(1), in: directory, function: "lander.fs.read")
            guard let data = FileManager.default.contents(atPath: path) else {
                throw HostFailure("lander.fs.read: cannot read \(path)")
            }
            return [.string(String(decoding: data, as: UTF8.self))]
        }
        runtime.register("fs.write") { arguments in
            let path = try Self.resolve(arguments.string(1), in: directory, function: "lander.fs.write")
            let text = try arguments.string(2)
            let append = try arguments.optionalMap(3)?["append"] == .boolean(true)
            let url = URL(fileURLWithPath: path)
            do {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                if append, let handle = try? FileHandle(forWritingTo: url) {
                    defer { try? handle.close() }
                    try handle.seekToEnd()
                    try handle.write(contentsOf: Data(text.utf8))
                } else {
                    try Data(text.utf8).write(to: url, options: .atomic)
                }
            } catch {
                throw HostFailure("lander.fs.write: cannot write \(path): \(error.localizedDescription)")
            }
            return []
        }
    }

    /// The absolute path for `path`, refusing anything that leaves `directory`.
    static func resolve(_ path: String, in directory: String, function: String) throws -> String {
        let base = URL(fileURLWithPath: directory).standardizedFileURL.path
        let full = URL(fileURLWithPath: path.hasPrefix("/") ? path : base + "/" + path).standardizedFileURL.path
        guard full.hasPrefix(base + "/") else {
            throw HostFailure("\(function): \(path) is outside the project directory \(base)")
        }
        return full
    }
}
