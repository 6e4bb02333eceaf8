public import Crypto
import Foundation

/// What an enrolled agent keeps in its work directory (`identity.json`, mode 0600): its name, the server,
/// its scope and its private key. The key never leaves the target; the server has only the public half.
public struct AgentIdentity: Sendable, Codable {
    /// The agent's name.
    public var name: String
    /// The server it enrolled with.
    public var server: String
    /// The environment and roles the server gave it.
    public var environment: String
    public var roles: [String]
    /// The P-256 private key, raw, base64.
    var privateKey: String

    /// The identity file in a work directory.
    public static func file(in workDir: String) -> String {
        URL(fileURLWithPath: workDir).appendingPathComponent("identity.json").path
    }

    /// The identity kept in `workDir`, if the agent enrolled there.
    public static func load(from workDir: String) throws -> AgentIdentity? {
        guard let data = FileManager.default.contents(atPath: file(in: workDir)) else { return nil }
        return try JSONDecoder().decode(AgentIdentity.self, from: data)
    }

    /// Writes it (readable by its owner only).
    public func save(in workDir: String) throws {
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        let path = Self.file(in: workDir)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
        else {
            throw AgentError("cannot write \(path)")
        }
    }

    /// The signing key.
    public func key() throws -> P256.Signing.PrivateKey {
        guard let data = Data(base64Encoded: privateKey) else { throw AgentError("identity.json holds no key") }
        return try P256.Signing.PrivateKey(rawRepresentation: data)
    }

    /// A new identity with a fresh key, before the server has confirmed it.
    public static func fresh(name: String, server: String) -> (AgentIdentity, publicKey: String) {
        let key = P256.Signing.PrivateKey()
        let identity = AgentIdentity(
            name: name, server: server, environment: "", roles: [],
            privateKey: key.rawRepresentation.base64EncodedString())
        return (identity, key.publicKey.rawRepresentation.base64EncodedString())
    }
}

/// Why the agent cannot go on.
public struct AgentError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// Whether trying again cannot help (refused: revoked, unknown, someone else's name).
    public let refused: Bool
    public init(_ description: String, refused: Bool = false) {
        self.description = description
        self.refused = refused
    }
}
