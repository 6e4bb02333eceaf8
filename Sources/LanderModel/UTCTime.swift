public import Foundation

/// Times written in UTC with a fixed pattern (POSIX locale), as reports, mails and listings show them.
public enum UTCTime {
    /// `date` in UTC with a `DateFormatter` pattern such as `yyyy-MM-dd HH:mm`.
    public static func text(_ date: Date, _ pattern: String) -> String {
        formatter(pattern).string(from: date)
    }

    /// `2026-12-01 09:00:03 UTC`: how listings, mails and digests show a time.
    public static func seconds(_ date: Date) -> String { text(date, "yyyy-MM-dd HH:mm:ss 'UTC'") }

    /// The date a pattern reads, in UTC (nil when it does not match).
    public static func date(_ text: String, _ pattern: String) -> Date? {
        formatter(pattern).date(from: text)
    }

    private static func formatter(_ pattern: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        return formatter
    }
}
