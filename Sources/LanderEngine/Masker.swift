import Foundation

/// Replaces secret values with a mask in any text shown to people or stored.
///
/// A secret is hidden in the forms it commonly travels in, not only as typed: shell-quoted (`'` written
/// `'\''`, or escaped for double quotes), JSON-escaped, URL-encoded and base64. A secret of several lines
/// is also hidden line by line (each line of 4 characters or more), so output that arrives a line at a time
/// never shows a piece of it.
public struct Masker: Sendable {
    /// The mask that replaces a secret.
    public static let mask = "••••••"
    /// The shortest line of a multi-line secret that is masked on its own.
    public static let shortestLine = 4

    /// The values to hide as given.
    public private(set) var secrets: [String]
    /// Every form of every secret to replace, the longest first, so one inside another is hidden whole.
    private var forms: [String]

    /// Creates a masker for values.
    public init(_ secrets: [String] = []) {
        self.secrets = Array(Set(secrets.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
        var forms: Set<String> = []
        for secret in self.secrets { forms.formUnion(Self.forms(of: secret)) }
        self.forms = forms.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    /// The text with every form of every secret replaced by `••••••`, and every call-home token.
    public func mask(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        var result = CallToken.mayHold(text) ? CallToken.masked(in: text) : text
        guard !forms.isEmpty else { return result }
        for form in forms where result.contains(form) {
            result = result.replacingOccurrences(of: form, with: Self.mask)
        }
        return result
    }

    /// The forms one secret can appear in.
    static func forms(of secret: String) -> Set<String> {
        var forms: Set<String> = [secret]
        forms.insert(secret.replacingOccurrences(of: "'", with: #"'\''"#))
        forms.insert(secret.replacingOccurrences(of: "'", with: #"'"'"'"#))
        forms.insert(doubleQuoted(secret))
        forms.insert(jsonEscaped(secret, slashes: false))
        forms.insert(jsonEscaped(secret, slashes: true))
        forms.insert(secret.debugDescription.dropFirst().dropLast().description)
        if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) {
            forms.insert(encoded)
            forms.insert(encoded.replacingOccurrences(of: "%20", with: "+"))
        }
        if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { forms.insert(encoded) }
        let base64 = Data(secret.utf8).base64EncodedString()
        forms.insert(base64)
        forms.insert(String(base64.prefix { $0 != "=" }))
        let lines = secret.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        if lines.count > 1 {
            for line in lines where line.count >= shortestLine { forms.formUnion(Self.forms(of: line)) }
        }
        return forms
    }

    /// The secret as it reads between double quotes in a POSIX shell.
    private static func doubleQuoted(_ secret: String) -> String {
        var result = ""
        for character in secret {
            if "\\\"$`".contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }

    /// The secret as it reads inside a JSON string.
    private static func jsonEscaped(_ secret: String, slashes: Bool) -> String {
        let encoder = JSONEncoder()
        if !slashes { encoder.outputFormatting = .withoutEscapingSlashes }
        guard let data = try? encoder.encode(secret) else { return secret }
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}

extension CharacterSet {
    /// What may stand unescaped in a URL query value.
    fileprivate static let urlQueryValueAllowed: CharacterSet = {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?/#")
        return allowed
    }()
}
