import Hummingbird

/// Turns an error a handler did not expect (a store that failed, say) into the API's JSON error with its
/// text, instead of a bare 500: a client always learns what went wrong.
struct JSONErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            return APIResponse.json(
                ["error": ["code": "internal", "message": "\(error)"]], status: .internalServerError)
        }
    }
}
