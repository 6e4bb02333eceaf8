public import Foundation

/// A project kept under `Tests/Fixtures/<name>/`, copied for one test: in every copied text file `@SCRATCH@`
/// becomes the directory it was copied to and `@KEY@` the value given for `KEY`, so a fixture reads as the
/// lander.yml a user writes, with only the paths and names a test varies left open.
public struct Fixture: Sendable {
    /// The fixture's directory under `Tests/Fixtures`.
    public let name: String

    /// A fixture by its directory name.
    public init(_ name: String) { self.name = name }

    /// Where the fixture is kept.
    public var source: URL { Repository.fixtures.appendingPathComponent(name) }

    /// Copies the fixture to `directory` (made if missing), filling its placeholders; a placeholder left
    /// unfilled is an error naming the file, so a test never runs a half-made project.
    @discardableResult
    public func copy(to directory: URL, _ values: [String: String] = [:]) throws -> URL {
        let manager = FileManager.default
        try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        var filled = values
        filled["SCRATCH"] = filled["SCRATCH"] ?? directory.standardizedFileURL.path
        guard let files = manager.enumerator(at: source, includingPropertiesForKeys: [.isDirectoryKey]) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: source.path])
        }
        for case let file as URL in files {
            let relative = String(file.standardizedFileURL.path.dropFirst(source.standardizedFileURL.path.count + 1))
            let destination = directory.appendingPathComponent(relative)
            if (try file.resourceValues(forKeys: [.isDirectoryKey])).isDirectory == true {
                try manager.createDirectory(at: destination, withIntermediateDirectories: true)
                continue
            }
            try manager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard var text = try? String(contentsOf: file, encoding: .utf8) else {
                try manager.copyItem(at: file, to: destination)
                continue
            }
            for (key, value) in filled { text = text.replacingOccurrences(of: "@\(key)@", with: value) }
            if let open = text.range(of: #"@[A-Z][A-Z_]*@"#, options: .regularExpression) {
                throw FixtureError(
                    message: "\(name)/\(relative): placeholder \(text[open]) has no value; pass it to copy(to:_:)")
            }
            try text.write(to: destination, atomically: true, encoding: .utf8)
            let permissions = try manager.attributesOfItem(atPath: file.path)[.posixPermissions]
            if let permissions {
                try manager.setAttributes([.posixPermissions: permissions], ofItemAtPath: destination.path)
            }
        }
        return directory
    }
}

/// A fixture that could not be made.
public struct FixtureError: Error, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    public var description: String { message }
}

extension Scratch {
    /// Copies a fixture into `subdirectory` of the scratch directory (the scratch directory itself when nil)
    /// and returns the path of its lander.yml.
    public func fixture(_ name: String, in subdirectory: String? = nil, _ values: [String: String] = [:]) throws
        -> String
    {
        let directory = subdirectory.map { url.appendingPathComponent($0) } ?? url
        return try Fixture(name).copy(to: directory, values).appendingPathComponent("lander.yml").path
    }
}
