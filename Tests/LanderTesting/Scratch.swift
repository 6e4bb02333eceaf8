public import Foundation

/// A temporary directory for the files a test writes.
public struct Scratch: Sendable {
    /// The directory.
    public let url: URL

    /// Creates a fresh directory under the system's temporary directory.
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lander-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes a file (making its directories) and returns its path.
    public func file(_ name: String, _ contents: String) throws -> String {
        let path = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: path, atomically: true, encoding: .utf8)
        return path.path
    }
}

/// Places in the repository the tests use.
public enum Repository {
    /// The repository's root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// The shipped plugins.
    public static var plugins: URL { root.appendingPathComponent("Plugins") }
    /// The fixture projects.
    public static var fixtures: URL { root.appendingPathComponent("Tests/Fixtures") }
}

/// Ports on 127.0.0.1 chosen at run time.
public enum Ports {
    /// A port nothing listens on now (the kernel's choice for a bind to port 0).
    public static func free() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
