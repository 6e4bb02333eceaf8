public import Crypto
public import Foundation
public import LanderStore

/// How agents prove who they are: enrolment with a one-time token (kept by its hash), then each connection
/// signed with the agent's P-256 key over its name and the time (a signature more than two minutes off is
/// refused).
public enum AgentAuth {
    /// How far a connection's time may be from the server's.
    public static let skew: TimeInterval = 120

    /// A new one-time enrolment token: `lae_` and 256 random bits.
    public static func newEnrollmentToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "lae_"
            + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// What a connection signs.
    public static func message(name: String, time: Int) -> Data {
        Data("lander-agent-connect\n\(name)\n\(time)".utf8)
    }

    /// The signature an agent sends, base64.
    public static func sign(name: String, time: Int, key: P256.Signing.PrivateKey) throws -> String {
        try key.signature(for: message(name: name, time: time)).derRepresentation.base64EncodedString()
    }

    /// Why a connection is refused (nil: it is the agent it says it is, enrolled and not revoked).
    public static func refusal(
        of record: AgentRecord?, name: String, time: Int?, signature: String?, now: Date = Date()
    ) -> String? {
        guard let record else { return "no agent '\(name)' is enrolled" }
        if record.revokedAt != nil { return "agent '\(name)' is revoked" }
        guard let time, abs(Double(time) - now.timeIntervalSince1970) <= skew else {
            return "the connection's time is missing or more than \(Int(skew))s from the server's (check the clocks)"
        }
        guard let signature, let der = Data(base64Encoded: signature),
            let parsed = try? P256.Signing.ECDSASignature(derRepresentation: der),
            let keyData = Data(base64Encoded: record.publicKey),
            let key = try? P256.Signing.PublicKey(rawRepresentation: keyData),
            key.isValidSignature(parsed, for: message(name: name, time: time))
        else { return "the signature does not match agent '\(name)''s key (another machine using its name?)" }
        return nil
    }
}
