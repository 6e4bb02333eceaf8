extension Duration {
    /// `90`, `90s`, `500ms`, `5m`, `1h` (and `2d` when `days`): how lander.yml and the command line write
    /// durations; nil for anything else or a negative number.
    public static func parse(_ text: String, days: Bool = false) -> Duration? {
        var units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        if days { units.append(("d", 86400)) }
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number >= 0 else { return nil }
            return .milliseconds(Int64((number * scale * 1000).rounded()))
        }
        return Double(text).flatMap { $0 >= 0 ? .milliseconds(Int64(($0 * 1000).rounded())) : nil }
    }

    /// The duration in seconds, fractions kept.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// `250ms`, `3s`, `1.5s`, `2m`, `1h30m`: how lander.yml writes durations.
    public var formatted: String {
        let milliseconds = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        if milliseconds % 1000 != 0 {
            let tenths = (milliseconds + 50) / 100
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let seconds = milliseconds / 1000
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds / 60)m\(seconds % 60)s" }
        return seconds % 3600 == 0 ? "\(seconds / 3600)h" : "\(seconds / 3600)h\(seconds % 3600 / 60)m"
    }
}
