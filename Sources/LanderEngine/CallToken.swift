import Foundation

/// A phone-home token: `lct_` and 64 hex digits (256 random bits). Every masker hides any text of this
/// shape, so no token reaches output, logs or the store however many targets hold one.
public enum CallToken {
    /// What every token starts with.
    public static let prefix = "lct_"
    /// How many hex digits follow it.
    public static let digits = 64

    /// A new token from the system's cryptographic random source.
    public static func make(prefix: String = CallToken.prefix) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = prefix
        for _ in 0..<(digits / 16) { text += String(format: "%016llx", generator.next() as UInt64) }
        return text
    }

    /// Whether a text has a token's shape.
    public static func isToken(_ text: String) -> Bool {
        text.hasPrefix(prefix) && text.utf8.count == prefix.utf8.count + digits
            && text.utf8.dropFirst(prefix.utf8.count).allSatisfy(isHexDigit)
    }

    /// What API tokens (`lander server token create`) start with; masked the same way.
    public static let apiPrefix = "lat_"

    /// Whether a text may hold a token of either kind.
    static func mayHold(_ text: String) -> Bool { text.contains(prefix) || text.contains(apiPrefix) }

    /// The text with every token (a prefix and 16 or more hex digits) replaced by the mask.
    static func masked(in text: String) -> String {
        masked(in: masked(in: text, marker: Array(prefix.utf8)), marker: Array(apiPrefix.utf8))
    }

    private static func masked(in text: String, marker: [UInt8]) -> String {
        var bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == marker[0], bytes.count - index >= marker.count,
                Array(bytes[index..<(index + marker.count)]) == marker
            {
                var end = index + marker.count
                while end < bytes.count, isHexDigit(bytes[end]) { end += 1 }
                if end - index - marker.count >= 16 {
                    output += Array(Masker.mask.utf8)
                    index = end
                    continue
                }
            }
            output.append(bytes[index])
            index += 1
        }
        bytes = output
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte)
    }
}

/// How the targets of a deployment reach home: the port of the callback endpoint on this machine, and
/// each calling target's token (only targets whose roles may ask for a job have one).
public struct CallbackAccess: Sendable {
    /// The loopback port the endpoint listens on.
    public var port: Int
    /// Tokens by target name.
    public var tokens: [String: String]

    /// Creates access.
    public init(port: Int, tokens: [String: String]) {
        self.port = port
        self.tokens = tokens
    }
}
