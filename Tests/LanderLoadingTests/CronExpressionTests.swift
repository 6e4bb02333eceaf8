import Foundation
import LanderModel
import Testing

/// Cron expressions: fields, ranges, steps, names, the day-of-month-or-weekday rule, time zones and DST.
@Suite struct CronExpressionTests {
    static func date(_ text: String) throws -> Date {
        try #require(ISO8601DateFormatter().date(from: text))
    }

    static let utc = TimeZone.gmt
    static let berlin = TimeZone(identifier: "Europe/Berlin") ?? .gmt

    @Test func stepsAndRangesOnWorkdaysSkipTheWeekend() throws {
        let cron = try CronExpression(parsing: "*/15 9-17 * * mon-fri")
        // Friday 2026-12-04 17:50 UTC: the next is Monday 09:00.
        #expect(
            cron.next(after: try Self.date("2026-12-04T17:50:00Z"), in: Self.utc)
                == (try Self.date("2026-12-07T09:00:00Z")))
        #expect(
            cron.next(after: try Self.date("2026-12-07T09:00:00Z"), in: Self.utc)
                == (try Self.date("2026-12-07T09:15:00Z")))
    }

    @Test func aRestrictedDayOfMonthAndWeekdayMeanEither() throws {
        let cron = try CronExpression(parsing: "0 0 13 * 5")
        // After Tuesday 2026-12-01: Friday the 4th comes before the 13th.
        #expect(
            cron.next(after: try Self.date("2026-12-01T00:00:00Z"), in: Self.utc)
                == (try Self.date("2026-12-04T00:00:00Z")))
        #expect(
            cron.next(after: try Self.date("2026-12-11T12:00:00Z"), in: Self.utc)
                == (try Self.date("2026-12-13T00:00:00Z")))
    }

    @Test func aTimeZoneMovesTheDueTimeAndATimeDSTSkipsIsSkipped() throws {
        let nine = try CronExpression(parsing: "0 9 * * *")
        // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
        #expect(
            nine.next(after: try Self.date("2026-12-01T00:00:00Z"), in: Self.berlin)
                == (try Self.date("2026-12-01T08:00:00Z")))
        #expect(
            nine.next(after: try Self.date("2026-07-01T00:00:00Z"), in: Self.berlin)
                == (try Self.date("2026-07-01T07:00:00Z")))
        // 02:30 does not exist in Berlin on 2026-03-29 (02:00 → 03:00): that day has no run.
        let night = try CronExpression(parsing: "30 2 * * *")
        #expect(
            night.next(after: try Self.date("2026-03-28T12:00:00Z"), in: Self.berlin)
                == (try Self.date("2026-03-30T00:30:00Z")))
    }

    @Test func theLatestDueTimeIsFoundFarBack() throws {
        let monthly = try CronExpression(parsing: "@monthly")
        #expect(
            monthly.latest(atOrBefore: try Self.date("2026-12-20T10:00:00Z"), in: Self.utc)
                == (try Self.date("2026-12-01T00:00:00Z")))
        let jan = try CronExpression(parsing: "0 8 1 jan *")
        #expect(
            jan.latest(atOrBefore: try Self.date("2026-12-20T10:00:00Z"), in: Self.utc)
                == (try Self.date("2026-01-01T08:00:00Z")))
        #expect(
            jan.latest(atOrBefore: try Self.date("2026-01-01T08:00:00Z"), in: Self.utc)
                == (try Self.date("2026-01-01T08:00:00Z")))
    }

    @Test(arguments: [
        ("* * *", "has 3 fields; cron needs 5"),
        ("61 * * * *", "the minute field has '61'; it takes 0–59"),
        ("*/0 * * * *", "has step '0'"),
        ("5-1 * * * *", "range 5-1 running backwards"),
        ("0 0 * foo *", "the month field has 'foo'"),
    ])
    func aBadExpressionSaysWhichFieldAndWhy(_ text: String, _ message: String) {
        #expect(throws: CronError.self) { try CronExpression(parsing: text) }
        do {
            _ = try CronExpression(parsing: text)
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }
}
