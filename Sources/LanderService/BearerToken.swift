import Crypto
import Foundation

/// What phone-home and API tokens share: they arrive as `Authorization: Bearer TOKEN` and are kept by
/// their SHA-256 only.
public enum BearerToken {
    /// The token of an `Authorization: Bearer …` header (nil: none, or empty).
    public static func parse(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// The SHA-256 of a token, hex: all a store keeps of it.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
