import AsyncHTTPClient
import Crypto
import Foundation
import LanderModel
import LanderStore
import NIOCore
import NIOHTTP1

/// Why an attempt failed, and whether another attempt could do better.
struct SendFailure: Error, CustomStringConvertible {
    var description: String
    /// A refusal another attempt would get again (a 4xx other than 408 and 429).
    var permanent = false
}

/// One POST per delivery: the body as stored, signed with HMAC-SHA256 over its bytes, with the delivery's
/// idempotency key (the same on every attempt, so a receiver can drop what it has seen).
struct WebhookSender: Sendable {
    let client: HTTPClient

    /// The client webhooks go through: a refused connection is a failed attempt at once (the outbox
    /// retries on its own schedule), and connecting may take 10 s.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// The signature header's value: `sha256=` and the hex HMAC of the body with the secret.
    static func signature(of body: String, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    func send(_ delivery: DeliveryRecord, to webhook: Subscription.Webhook, environment: [String: String])
        async throws(SendFailure)
    {
        guard let url = webhook.url.resolve(environment) else {
            throw SendFailure(
                description: "the webhook's url \(webhook.url.described) is not set in Lander's environment")
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "lander")
        request.headers.add(name: "Idempotency-Key", value: delivery.key)
        request.headers.add(name: "X-Lander-Delivery", value: String(delivery.id))
        request.headers.add(name: "X-Lander-Event", value: delivery.eventKind)
        request.headers.add(name: "X-Lander-Subscription", value: delivery.subscription)
        if let secret = webhook.secret {
            guard let key = secret.resolve(environment) else {
                throw SendFailure(
                    description: "the webhook's secret \(secret.described) is not set in Lander's environment")
            }
            request.headers.add(name: "X-Lander-Signature-256", value: Self.signature(of: delivery.body, secret: key))
        }
        for (name, value) in webhook.headers.sorted(by: { $0.key < $1.key }) {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(string: delivery.body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .milliseconds(Int64(webhook.timeout.seconds * 1000)))
        } catch {
            throw SendFailure(description: "POST failed: \(error)")
        }
        let status = response.status.code
        // The answer's body is not read into errors: a receiver may echo what it was sent.
        _ = try? await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(status) else {
            throw SendFailure(
                description: "the receiver answered \(status) \(response.status.reasonPhrase)",
                permanent: (400..<500).contains(status) && status != 408 && status != 429)
        }
    }
}
