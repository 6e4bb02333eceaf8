import ArgumentParser
import Foundation

/// Where history commands find the store: `--state`, `LANDER_STATE`, or `.lander/state.db` beside `-f`.
struct StoreLocation: ParsableArguments {
    @Option(name: [.customShort("f"), .long], help: "The project file whose store to read (its directory's .lander/).")
    var file: String = "lander.yml"

    @OptionGroup var store: StoreOptions

    @Flag(help: "JSON on standard output.")
    var json = false

    /// The project file's directory, absolute.
    var directory: String {
        URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().path
    }
}

/// JSON of a value, as `--json` prints it.
func jsonText<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.dateEncodingStrategy = .iso8601
    guard let data = try? encoder.encode(value) else { return "null" }
    return String(decoding: data, as: UTF8.self)
}

/// `2026-11-22 18:14:08` in local time.
func shortTime(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    return formatter.string(from: date)
}

/// Seconds as lander.yml writes durations.
func seconds(_ value: Double) -> String {
    Duration.milliseconds(Int64((value * 1000).rounded())).formatted
}
