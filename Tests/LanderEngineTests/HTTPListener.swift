import Foundation

/// A real HTTP/1.1 listener on 127.0.0.1 with a port chosen by the kernel; records each request's body.
final class HTTPListener: @unchecked Sendable {
    let port: UInt16
    private let socket: Int32
    private let lock = NSLock()
    private var bodies: [String] = []
    private var requestLines: [String] = []
    private let statuses: [Int]
    private let body: String

    /// Answers every request with `status` and `body`.
    convenience init(status: Int = 200, body: String = "ok") throws {
        try self.init(statuses: [status], body: body)
    }

    /// Answers the n-th request with the n-th status (the last one repeats).
    init(statuses: [Int], body: String = "ok") throws {
        self.statuses = statuses
        self.body = body
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound, listen(fd, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
        socket = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    deinit { close(socket) }

    /// Stops listening: later connections are refused.
    func shutdown() {
        _ = Glibc.shutdown(socket, Int32(SHUT_RDWR))
    }

    /// Bodies received so far.
    var received: [String] { lock.withLock { bodies } }
    /// Request lines (`POST /hook HTTP/1.1`) received so far.
    var requests: [String] { lock.withLock { requestLines } }

    private func serve() {
        while true {
            let client = accept(socket, nil, nil)
            if client < 0 { return }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var expected: Int?
        while true {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
            let text = String(decoding: data, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { continue }
            if expected == nil {
                let header = text[..<end.lowerBound].lowercased()
                let length =
                    header.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                expected = text[..<end.upperBound].utf8.count + length
            }
            if let expected, data.count >= expected { break }
        }
        let text = String(decoding: data, as: UTF8.self)
        if let end = text.range(of: "\r\n\r\n") {
            lock.withLock {
                requestLines.append(String(text[..<end.lowerBound].split(separator: "\r\n").first ?? ""))
                bodies.append(String(text[end.upperBound...]))
            }
        }
        let status = lock.withLock { statuses[max(0, min(requestLines.count - 1, statuses.count - 1))] }
        let response =
            "HTTP/1.1 \(status) X\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        _ = response.withCString { write(client, $0, strlen($0)) }
    }
}
