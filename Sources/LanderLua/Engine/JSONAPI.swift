import Foundation
import LanderEngine

/// JSON for Lua values: tables with keys 1…n are arrays, string-keyed tables objects; `null` reads as nil.
enum JSON {
    static func encode(_ value: LuaValue) -> String {
        switch value {
        case .nil, .function: return "null"
        case .boolean(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .number(let number): return number.isFinite ? String(number) : "null"
        case .string(let text): return quote(text)
        case .bytes(let bytes): return quote(String(decoding: bytes, as: UTF8.self))
        case .array(let items): return "[" + items.map(encode).joined(separator: ",") + "]"
        case .map(let map):
            return "{" + map.keys.sorted().map { quote($0) + ":" + encode(map[$0] ?? .nil) }.joined(separator: ",")
                + "}"
        }
    }

    /// A JSON string literal, escaped as the event encoding escapes (one implementation).
    static func quote(_ text: String) -> String { EventEnvelope.quoted(text) }

    /// The Lua value of a JSON text; a failure with a reason when it is not JSON.
    static func decode(_ text: String) -> Result<LuaValue, HostFailure> {
        do {
            return .success(try JSONDecoder().decode(Node.self, from: Data(text.utf8)).value)
        } catch {
            return .failure(HostFailure("lander.json.decode: not JSON: \(String(text.prefix(60)))"))
        }
    }

    /// One JSON value as it decodes; object members that are null are left out (nil in Lua).
    private struct Node: Decodable {
        let value: LuaValue

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                value = .nil
            } else if let flag = try? container.decode(Bool.self) {
                value = .boolean(flag)
            } else if let number = try? container.decode(Int64.self) {
                value = .integer(number)
            } else if let number = try? container.decode(Double.self) {
                value = .number(number)
            } else if let text = try? container.decode(String.self) {
                value = .string(text)
            } else if let items = try? container.decode([Node].self) {
                value = .array(items.map(\.value))
            } else {
                value = .map(
                    try container.decode([String: Node].self).compactMapValues { $0.value.isNil ? nil : $0.value })
            }
        }
    }
}

/// `lander.json.encode(value)` and `lander.json.decode(text)`: JSON for hooks and templates.
struct JSONAPI {
    func install(in runtime: LuaRuntime) {
        runtime.register("json.encode") { arguments in [.string(JSON.encode(arguments.first ?? .nil))] }
        runtime.register("json.decode") { arguments in
            [try JSON.decode(try arguments.string(1)).get()]
        }
    }
}
