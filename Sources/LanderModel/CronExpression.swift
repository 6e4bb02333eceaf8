public import Foundation

/// A five-field cron expression (minute, hour, day of month, month, day of week) with lists, ranges,
/// steps, month and day names and the usual `@daily`-style shorthands.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// The text as written.
    public let text: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    /// Cron's rule: when both day fields are restricted, a day matching either is due.
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    public var description: String { text }

    private static let shorthands = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    private static let monthNames = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Parses an expression; the error says which field is wrong and why.
    public init(parsing text: String) throws(CronError) {
        self.text = text
        let expanded = Self.shorthands[text.trimmingCharacters(in: .whitespaces).lowercased()] ?? text
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError(
                "'\(text)' has \(fields.count) fields; cron needs 5: minute hour day-of-month month day-of-week")
        }
        minutes = try Self.field(fields[0], "minute", 0...59, names: [])
        hours = try Self.field(fields[1], "hour", 0...23, names: [])
        days = try Self.field(fields[2], "day of month", 1...31, names: [])
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames, offset: 1)
        var weekdays = try Self.field(fields[4], "day of week", 0...7, names: Self.dayNames)
        if weekdays.remove(7) != nil { weekdays.insert(0) }
        self.weekdays = weekdays
        daysRestricted = fields[2] != "*" && fields[2] != "?"
        weekdaysRestricted = fields[4] != "*" && fields[4] != "?"
    }

    private static func field(
        _ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String], offset: Int = 0
    ) throws(CronError) -> Set<Int> {
        var values: Set<Int> = []
        for part in text.lowercased().split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2, let base = pieces.first, !base.isEmpty else {
                throw CronError("the \(name) field '\(text)' is not a value, range, list or step")
            }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else {
                    throw CronError("the \(name) field '\(text)' has step '\(pieces[1])'; a step is a whole number ≥ 1")
                }
                step = parsed
            }
            let bounds: ClosedRange<Int>
            if base == "*" || base == "?" {
                bounds = range
            } else {
                let ends = base.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                guard ends.count <= 2 else { throw CronError("the \(name) field '\(text)' has a bad range '\(base)'") }
                let low = try value(ends[0], name, range, names: names, offset: offset)
                let high = try ends.count == 2 ? value(ends[1], name, range, names: names, offset: offset) : low
                guard low <= high else {
                    throw CronError("the \(name) field '\(text)' has range \(base) running backwards")
                }
                bounds = low...(pieces.count == 2 && ends.count == 1 ? range.upperBound : high)
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    private static func value(
        _ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String], offset: Int
    ) throws(CronError) -> Int {
        if let index = names.firstIndex(of: text) { return index + offset }
        guard let number = Int(text), range.contains(number) else {
            throw CronError(
                "the \(name) field has '\(text)'; it takes \(range.lowerBound)–\(range.upperBound)"
                    + (names.isEmpty ? "" : " or \(names.first ?? "")…\(names.last ?? "")"))
        }
        return number
    }

    /// Whether a day (its day of month and weekday, 0 = Sunday) is due.
    func dayMatches(day: Int, weekday: Int) -> Bool {
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): days.contains(day) || weekdays.contains(weekday)
        case (true, false): days.contains(day)
        case (false, true): weekdays.contains(weekday)
        case (false, false): true
        }
    }

    /// The first due time strictly after `date`, read in `zone` (nil when none within eight years).
    public func next(after date: Date, in zone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        guard var time = calendar.dateInterval(of: .minute, for: date)?.end else { return nil }
        let limit = date.addingTimeInterval(8 * 366 * 86400)
        while time < limit {
            let parts = calendar.dateComponents([.month, .day, .weekday, .hour, .minute], from: time)
            guard let month = parts.month, let day = parts.day, let weekday = parts.weekday, let hour = parts.hour,
                let minute = parts.minute
            else { return nil }
            if !months.contains(month) {
                guard let end = calendar.dateInterval(of: .month, for: time)?.end else { return nil }
                time = end
            } else if !dayMatches(day: day, weekday: weekday - 1) {
                guard let end = calendar.dateInterval(of: .day, for: time)?.end else { return nil }
                time = end
            } else if !hours.contains(hour) {
                guard let end = calendar.dateInterval(of: .hour, for: time)?.end else { return nil }
                time = end
            } else if !minutes.contains(minute) {
                time = time.addingTimeInterval(60)
            } else {
                return time
            }
        }
        return nil
    }

    /// The last due time at or before `date` (nil when none within eight years).
    public func latest(atOrBefore date: Date, in zone: TimeZone) -> Date? {
        for window: Double in [3600, 86_400, 2_764_800, 31_708_800, 253_670_400] {
            var found: Date?
            var cursor = date.addingTimeInterval(-window)
            while let due = next(after: cursor, in: zone), due <= date {
                found = due
                cursor = due
            }
            if let found { return found }
        }
        return nil
    }
}

/// Why a cron expression cannot be read.
public struct CronError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
