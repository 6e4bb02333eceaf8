import Foundation
import LanderEngine
import LanderService
public import LanderStore

/// What a token may do: read (`viewer`), also deploy, cancel, resume and roll back (`deployer`), also
/// manage tokens (`admin`); within one project and environment when scoped.
public enum APIRole: String, Sendable, CaseIterable, Codable {
    case viewer, deployer, admin

    var rank: Int {
        switch self {
        case .viewer: 0
        case .deployer: 1
        case .admin: 2
        }
    }
}

/// Who a request comes from: a token's record.
struct APIUser: Sendable {
    let record: APITokenRecord

    var role: APIRole { APIRole(rawValue: record.role) ?? .viewer }

    /// Who the store records as having made a change.
    var name: String { "\(record.name) (token \(record.id))" }

    /// Refuses (403) unless the token's role reaches `need` and its scope covers the project and environment.
    func check(_ need: APIRole, project: String? = nil, environment: String? = nil) throws(APIError) {
        guard role.rank >= need.rank else {
            throw .forbidden("token \(record.id) (\(record.name)) is a \(role.rawValue); this needs \(need.rawValue)")
        }
        if let scoped = record.project, let project, scoped != project {
            throw .forbidden("token \(record.id) is for project \(scoped), not \(project)")
        }
        if let scoped = record.environment, let environment, scoped != environment {
            throw .forbidden("token \(record.id) is for environment \(scoped), not \(environment)")
        }
    }

    /// Whether the token's scope covers a project and environment (for filtering lists).
    func sees(project: String, environment: String) -> Bool {
        (record.project.map { $0 == project } ?? true) && (record.environment.map { $0 == environment } ?? true)
    }
}

/// API tokens: made with 256 random bits (`lat_` + 64 hex, masked by their shape everywhere), kept by
/// their SHA-256 only, checked on every request.
public struct APITokens: Sendable {
    let store: StateStore

    /// Tokens kept in a store.
    public init(store: StateStore) { self.store = store }

    /// Makes a token; the text is returned once and never stored.
    public func create(name: String, role: APIRole, project: String?, environment: String?) throws
        -> (token: String, record: APITokenRecord)
    {
        let token = CallToken.make(prefix: CallToken.apiPrefix)
        let record = APITokenRecord(
            id: "t" + String(UInt32.random(in: 0...UInt32.max), radix: 36), name: name, role: role.rawValue,
            project: project, environment: environment, createdAt: Date(), revokedAt: nil)
        try store.addToken(record, hash: BearerToken.hash(token))
        return (token, record)
    }

    /// The user of an `Authorization: Bearer …` header; 401 without a valid, unrevoked token.
    func user(_ authorization: String?) throws(APIError) -> APIUser {
        guard let token = BearerToken.parse(authorization) else {
            throw .unauthorized("no token: send Authorization: Bearer TOKEN (lander server token create)")
        }
        let record: APITokenRecord?
        do {
            record = try store.token(hash: BearerToken.hash(token))
        } catch {
            throw APIError(.internalServerError, "store", "\(error)")
        }
        guard let record else { throw .unauthorized("unknown token") }
        guard record.revokedAt == nil else { throw .unauthorized("token \(record.id) was revoked") }
        return APIUser(record: record)
    }
}
