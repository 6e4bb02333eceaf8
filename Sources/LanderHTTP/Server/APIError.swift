import Foundation
import HTTPTypes
import Hummingbird
import LanderEngine

/// An API error: JSON `{"error": {"code", "message"}}` with its status.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        APIResponse.json(["error": ["code": code, "message": message]], status: status)
    }

    static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, "unauthorized", message) }
    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
}

/// JSON responses, keys sorted.
enum APIResponse {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        json(bytes: bytes(value), status: status)
    }

    /// A response of JSON already encoded.
    static func json(bytes: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: bytes))
    }

    /// A value as the API's JSON: snake_case keys, sorted.
    static func bytes(_ value: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Milliseconds kept (`2026-11-22T20:33:03.125Z`), as in events: durations shown from them stay exact.
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(EventEnvelope.timestamp(date))
        }
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return ByteBuffer(bytes: (try? encoder.encode(value)) ?? Data("{}".utf8))
    }

    /// The request's body as `T`, at most `limit` bytes; a clear 400 or 413 otherwise.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 64 << 10) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, "too_large", "the body is over \(limit) bytes")
        }
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(T.self, from: Data(buffer: buffer))
        } catch {
            throw APIError.badRequest("the body is not the JSON this call takes: \(error)")
        }
    }
}
