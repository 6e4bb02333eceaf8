import Foundation
import LanderModel
import NIOCore
import NIOPosix
import NIOSSL

/// A mail to send.
struct MailMessage: Sendable {
    var from: String
    var to: [String]
    var subject: String
    var body: String
    /// `text/plain` or `text/html`.
    var contentType = "text/plain"
    /// The delivery's idempotency key: the Message-ID is made from it, so a mail sent twice is one message.
    var key: String

    /// The message as SMTP's DATA carries it: headers, a base64 body, lines ending CRLF, dots doubled.
    func data(at date: Date = Date()) -> String {
        let digest = key.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        let domain = from.split(separator: "@").last.map(String.init) ?? "lander"
        let encodedBody = Data(body.utf8).base64EncodedString(options: [
            .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
        ])
        let lines = [
            "From: <\(from)>", "To: " + to.map { "<\($0)>" }.joined(separator: ", "),
            "Subject: \(Self.header(subject))",
            "Date: \(UTCTime.text(date, "EEE, dd MMM yyyy HH:mm:ss '+0000'"))",
            "Message-ID: <\(String(digest, radix: 16)).\(key.count)@\(domain)>",
            "X-Lander-Idempotency-Key: \(Self.header(key))", "MIME-Version: 1.0",
            "Content-Type: \(contentType); charset=utf-8", "Content-Transfer-Encoding: base64", "", encodedBody,
        ]
        return lines.joined(separator: "\r\n")
    }

    /// A header value: as it is when ASCII without line breaks, else RFC 2047 base64.
    static func header(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if flat.allSatisfy({ $0.isASCII }) { return flat }
        return "=?utf-8?B?\(Data(flat.utf8).base64EncodedString())?="
    }
}

/// An SMTP reply: its code and its lines' text.
struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
    var text: String { lines.joined(separator: " ") }
}

/// Sends mail over SMTP with NIO: STARTTLS (required when configured) or TLS from the start, AUTH PLAIN or
/// LOGIN when a user is set, every reply checked; the password never appears in an error.
struct SMTPClient: Sendable {
    let settings: SMTPSettings
    let password: String?

    func send(_ message: MailMessage) async throws(SendFailure) {
        do {
            try await converse(message)
        } catch let failure as SendFailure {
            throw failure
        } catch {
            throw SendFailure(description: "SMTP \(settings.host):\(settings.port): \(error)")
        }
    }

    private func tlsContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let file = settings.caFile { configuration.trustRoots = .file(file) }
        return try NIOSSLContext(configuration: configuration)
    }

    /// The name to check the certificate against (an address is checked against the certificate's IPs).
    private var serverName: String? {
        settings.host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? nil : settings.host
    }

    private func converse(_ message: MailMessage) async throws {
        let (replies, continuation) = AsyncThrowingStream<SMTPReply, any Error>.makeStream()
        let context = settings.security == .none ? nil : try tlsContext()
        let implicit = settings.security == .tls
        let name = serverName
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicit, let context {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: context, serverHostname: name))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
                    try channel.pipeline.syncOperations.addHandler(ReplyHandler(continuation))
                }
            }
            .connect(host: settings.host, port: settings.port).get()
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(settings.timeout.seconds * 1000))) {
            channel.close(promise: nil)
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        var conversation = Conversation(
            channel: channel, replies: replies.makeAsyncIterator(), timeout: settings.timeout)
        _ = try await conversation.expect(220, after: "connecting")
        var capabilities = try await conversation.ask("EHLO \(Self.helloName)", expect: 250)
        if settings.security == .starttls, let context {
            guard capabilities.lines.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                throw SendFailure(
                    description:
                        "SMTP \(settings.host):\(settings.port) offers no STARTTLS, which smtp: security starttls requires"
                )
            }
            _ = try await conversation.ask("STARTTLS", expect: 220)
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: context, serverHostname: name), position: .first)
            }.get()
            capabilities = try await conversation.ask("EHLO \(Self.helloName)", expect: 250)
        }
        if let user = settings.username {
            try await authenticate(user, capabilities, &conversation)
        }
        _ = try await conversation.ask("MAIL FROM:<\(message.from)>", expect: 250)
        for recipient in message.to {
            _ = try await conversation.ask("RCPT TO:<\(recipient)>", expect: 250, 251)
        }
        _ = try await conversation.ask("DATA", expect: 354)
        let stuffed = message.data().components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }
        _ = try await conversation.ask(stuffed.joined(separator: "\r\n") + "\r\n.", expect: 250, what: "the message")
        _ = try? await conversation.ask("QUIT", expect: 221)
    }

    private func authenticate(_ user: String, _ capabilities: SMTPReply, _ conversation: inout Conversation)
        async throws
    {
        guard let password else {
            throw SendFailure(
                description: "smtp: username is set but the password's variable is not set in Lander's environment")
        }
        let auth = capabilities.lines.first { $0.uppercased().hasPrefix("AUTH") }?.uppercased() ?? ""
        if auth.contains("PLAIN") {
            let token = Data("\u{0}\(user)\u{0}\(password)".utf8).base64EncodedString()
            _ = try await conversation.ask("AUTH PLAIN \(token)", expect: 235, what: "AUTH PLAIN")
        } else if auth.contains("LOGIN") {
            _ = try await conversation.ask("AUTH LOGIN", expect: 334)
            _ = try await conversation.ask(Data(user.utf8).base64EncodedString(), expect: 334, what: "the user")
            _ = try await conversation.ask(Data(password.utf8).base64EncodedString(), expect: 235, what: "the password")
        } else {
            throw SendFailure(description: "SMTP \(settings.host) offers no AUTH PLAIN or LOGIN (offered: \(auth))")
        }
    }

    static var helloName: String {
        let name = ProcessInfo.processInfo.hostName
        return name.isEmpty ? "localhost" : name
    }
}

/// The command-and-reply half of a session.
private struct Conversation {
    let channel: any Channel
    var replies: AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator
    let timeout: Duration

    mutating func expect(_ codes: Int..., after what: String) async throws -> SMTPReply {
        try await reply(codes, to: what)
    }

    mutating func ask(_ command: String, expect codes: Int..., what: String? = nil) async throws -> SMTPReply {
        try await channel.writeAndFlush(ByteBuffer(string: command + "\r\n"))
        return try await reply(codes, to: what ?? String(command.prefix { $0 != " " && $0 != ":" }))
    }

    /// The next reply, which must have one of `codes`; `what` names what it answers in an error.
    private mutating func reply(_ codes: [Int], to what: String) async throws -> SMTPReply {
        guard let reply = try await replies.next() else {
            throw SendFailure(
                description: "the SMTP server closed the connection (or did not answer within "
                    + "\(Int(timeout.seconds))s) after \(what)")
        }
        guard codes.contains(reply.code) else {
            throw SendFailure(
                description: "the SMTP server answered \(what) with \(reply.code) \(reply.text)",
                permanent: (500..<600).contains(reply.code))
        }
        return reply
    }
}

/// Splits what arrives into lines (CRLF or LF removed).
private struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let index = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return .needMoreData }
        let length = index - buffer.readableBytesView.startIndex + 1
        guard let line = buffer.readString(length: length) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(line.trimmingCharacters(in: .newlines)))
        return .continue
    }
}

/// Gathers lines into replies (`250-…` continues, `250 …` ends one) and hands them on.
private final class ReplyHandler: ChannelInboundHandler {
    typealias InboundIn = String
    private let continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation
    private var lines: [String] = []

    init(_ continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        let code = Int(line.prefix(3)) ?? 0
        let separator = line.dropFirst(3).first
        lines.append(String(line.dropFirst(4)))
        if separator != "-" {
            continuation.yield(SMTPReply(code: code, lines: lines))
            lines = []
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
