import Foundation

/// `lander.net.request { unix = PATH | host = H, port = P, send = TEXT, timeout = SECONDS }`: connects,
/// sends, and returns everything the other side writes until it closes the connection (a request-response
/// exchange, e.g. HAProxy's runtime API). Raises on connection errors and timeouts. `lander.net.probe`
/// says whether a connection opens at all (true, or false and why).
struct NetAPI {
    func install(in runtime: LuaRuntime) {
        runtime.register(
            "net.request",
            async: { arguments in
                let (endpoint, options) = try Self.endpoint(arguments, function: "lander.net.request")
                let send = options["send"]?.stringValue ?? ""
                let timeout = options["timeout"]?.doubleValue ?? 10
                let reply = try await Self.exchange(endpoint, send: Array(send.utf8), timeout: timeout)
                return [.string(String(decoding: reply, as: UTF8.self))]
            })
        // lander.net.probe { host = H, port = P | unix = PATH, timeout = S }: whether a connection opens.
        runtime.register(
            "net.probe",
            async: { arguments in
                let (endpoint, options) = try Self.endpoint(arguments, function: "lander.net.probe")
                let timeout = options["timeout"]?.doubleValue ?? 2
                do {
                    _ = try await Self.exchange(endpoint, send: [], timeout: timeout, probeOnly: true)
                    return [.boolean(true)]
                } catch {
                    return [.boolean(false), .string("\(error)")]
                }
            })
    }

    private static func endpoint(_ arguments: [LuaValue], function: String) throws -> (Endpoint, [String: LuaValue]) {
        guard case .map(let options)? = arguments.first else {
            throw LuaArgumentError(
                position: 1, function: function,
                problem: "a table { unix = path } or { host = ..., port = ... } expected")
        }
        if let path = options["unix"]?.stringValue { return (.unix(path), options) }
        if let host = options["host"]?.stringValue, let port = options["port"]?.integerValue {
            return (.tcp(host, UInt16(clamping: port)), options)
        }
        throw LuaArgumentError(position: 1, function: function, problem: "unix = path, or host and port, expected")
    }

    enum Endpoint {
        case unix(String)
        case tcp(String, UInt16)
    }

    /// Runs the blocking exchange on a Dispatch thread, never on the cooperative pool.
    static func exchange(_ endpoint: Endpoint, send: [UInt8], timeout: Double, probeOnly: Bool = false)
        async throws -> [UInt8]
    {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        try blockingExchange(endpoint, send: send, timeout: timeout, probeOnly: probeOnly)
                    })
            }
        }
    }

    private static func blockingExchange(
        _ endpoint: Endpoint, send: [UInt8], timeout: Double, probeOnly: Bool = false
    ) throws -> [UInt8] {
        let (fd, name) = try connected(endpoint, timeout: timeout)
        defer { close(fd) }
        var sent = 0
        while sent < send.count {
            let count = send[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw HostFailure("\(name): write failed: \(String(cString: strerror(errno)))") }
            sent += count
        }
        guard !probeOnly else { return [] }
        shutdown(fd, Int32(SHUT_WR))
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            guard count > 0 else {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    throw HostFailure("\(name): no answer within \(timeout)s")
                }
                throw HostFailure("\(name): read failed: \(String(cString: strerror(errno)))")
            }
            reply += buffer[0..<count]
        }
        return reply
    }

    /// A stream socket connected to the endpoint, with send and receive timeouts, and the endpoint's name.
    private static func connected(_ endpoint: Endpoint, timeout: Double) throws -> (Int32, String) {
        switch endpoint {
        case .unix(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                throw HostFailure("\(path): the socket path is too long")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in bytes.enumerated() { raw[index] = byte }
            }
            return (try open(AF_UNIX, &address, name: path, timeout: timeout), path)
        case .tcp(let host, let port):
            let name = "\(host):\(port)"
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
                throw HostFailure("\(name): give an IPv4 address")
            }
            return (try open(AF_INET, &address, name: name, timeout: timeout), name)
        }
    }

    /// A socket of the family, connected to the address (closed again when that fails).
    private static func open<Address>(_ family: Int32, _ address: inout Address, name: String, timeout: Double) throws
        -> Int32
    {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HostFailure("\(name): socket: \(String(cString: strerror(errno)))") }
        setTimeouts(fd, timeout)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw HostFailure("\(name): cannot connect: \(message)")
        }
        return fd
    }

    private static func setTimeouts(_ fd: Int32, _ seconds: Double) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }
}
