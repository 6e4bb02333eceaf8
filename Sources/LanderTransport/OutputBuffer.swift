/// Collects one output stream of a command: keeps the last `limit` bytes and hands out whole lines.
struct OutputBuffer {
    private(set) var bytes: [UInt8] = []
    private(set) var dropped = 0
    private var partial: [UInt8] = []
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Appends a chunk; returns the lines it completed when `lines` is true.
    mutating func append(_ chunk: UnsafeRawBufferPointer, lines: Bool) -> [String] {
        bytes.append(contentsOf: chunk)
        if bytes.count > limit {
            let excess = bytes.count - limit
            bytes.removeFirst(excess)
            dropped += excess
        }
        guard lines else { return [] }
        var completed: [String] = []
        for byte in chunk {
            if byte == UInt8(ascii: "\n") {
                completed.append(String(decoding: partial, as: UTF8.self))
                partial.removeAll(keepingCapacity: true)
            } else if partial.count < 64 * 1024 {
                partial.append(byte)
            }
        }
        return completed
    }

    /// The unfinished last line, if any, once the stream ended.
    mutating func remainder() -> String? {
        defer { partial.removeAll() }
        return partial.isEmpty ? nil : String(decoding: partial, as: UTF8.self)
    }

    /// The kept output as text; a cut is marked at the front.
    var text: String {
        let body = String(decoding: bytes, as: UTF8.self)
        return dropped > 0 ? "[… \(dropped) earlier bytes not kept]\n" + body : body
    }
}
