import Foundation
import Synchronization

/// Byte streams carried over an agent's connection, each between a socket on one end and a socket on the
/// other (phone home: `lander-call` on the target reaches the server's callback endpoint). Each socket
/// has a reader thread sending what it reads as small binary frames (in the message lane: a call never
/// waits behind a transfer), then `eof`; bytes from the other end are written to it, and its write side is
/// shut when the other end's `eof` comes. A stream is closed when both directions have ended.
final class ForwardedStreams: Sendable {
    private struct Stream {
        var fd: Int32
        var readDone = false
        var writeDone = false
    }
    private let streams = Mutex<[String: Stream]>([:])

    /// Starts carrying `fd` as stream `id`; `announce` runs once bytes for it can be taken, before any of its
    /// own are read.
    func attach(_ fd: Int32, id: String, outbox: AgentOutbox, announce: () -> Void = {}) {
        streams.withLock { $0[id] = Stream(fd: fd) }
        announce()
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                guard outbox.send(small: AgentWire.chunk(id: id, buffer[0..<count])) else { break }
            }
            outbox.send(AgentMessage(.eof, id: id))
            finish(id) { $0.readDone = true }
        }
        thread.name = "lander-stream"
        thread.start()
    }

    /// Writes bytes from the other end; false when `id` is no stream here.
    func deliver(_ bytes: ArraySlice<UInt8>, to id: String) -> Bool {
        guard let fd = streams.withLock({ $0[id]?.fd }) else { return false }
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { break }
            offset += written
        }
        return true
    }

    /// The other end will send no more: the socket's write side is shut.
    func peerEnded(_ id: String) {
        if let fd = streams.withLock({ $0[id]?.fd }) { shutdown(fd, Int32(SHUT_WR)) }
        finish(id) { $0.writeDone = true }
    }

    /// Whether `id` is a stream here.
    func contains(_ id: String) -> Bool { streams.withLock { $0[id] != nil } }

    /// Ends every stream (the connection is gone).
    func closeAll() {
        let all = streams.withLock { streams in
            defer { streams = [:] }
            return streams.values.map(\.fd)
        }
        for fd in all {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    private func finish(_ id: String, _ change: (inout Stream) -> Void) {
        let closing = streams.withLock { streams -> Int32? in
            guard var stream = streams[id] else { return nil }
            change(&stream)
            guard stream.readDone, stream.writeDone else {
                streams[id] = stream
                return nil
            }
            streams[id] = nil
            return stream.fd
        }
        if let closing { close(closing) }
    }
}

/// Sockets for forwarding: a Unix listener on the agent's side, a loopback connection on the server's.
enum ForwardSockets {
    /// Listens on a Unix socket at `path` (mode 0600: only the agent's user reaches it); the descriptor.
    static func listen(at path: String) throws(TransportError) -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard fd >= 0, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw TransportError(target: "agent", message: "cannot listen on \(path): the path is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
        guard bound, chmod(path, 0o600) == 0, Glibc.listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw TransportError(target: "agent", message: "cannot listen on \(path): \(reason)")
        }
        return fd
    }

    /// Connects to 127.0.0.1:`port`; the descriptor, or nil.
    static func connect(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        if connected { return fd }
        close(fd)
        return nil
    }
}
