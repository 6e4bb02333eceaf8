import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `lander.http.get/post` (raise on failure or status ≥ 400) and `try_get/try_post` (return nil, err).
struct HTTPAPI {
    func install(in runtime: LuaRuntime) {
        for method in ["get", "post"] {
            runtime.register(
                "http." + method,
                async: { arguments in
                    try await Self.request(method.uppercased(), arguments, function: "lander.http." + method)
                })
            runtime.register(
                "http.try_" + method,
                async: { arguments in
                    do {
                        return try await Self.request(
                            method.uppercased(), arguments, function: "lander.http.try_" + method)
                    } catch {
                        return [.nil, .string(String(describing: error))]
                    }
                })
        }
    }

    private static func request(_ method: String, _ arguments: [LuaValue], function: String) async throws
        -> [LuaValue]
    {
        guard let text = arguments.first?.stringValue, let url = URL(string: text),
            url.scheme == "http" || url.scheme == "https", url.host != nil
        else {
            throw LuaArgumentError(position: 1, function: function, problem: "an http:// or https:// URL expected")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 30
        if arguments.count > 1, case .map(let options) = arguments[1] {
            if case .map(let headers)? = options["headers"] {
                for (name, value) in headers {
                    request.setValue(value.stringValue ?? value.description, forHTTPHeaderField: name)
                }
            }
            if let seconds = options["timeout"]?.doubleValue { request.timeoutInterval = seconds }
            if let json = options["json"] {
                request.httpBody = Data(JSON.encode(json).utf8)
                if request.value(forHTTPHeaderField: "Content-Type") == nil {
                    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                }
            } else if let body = options["body"]?.stringValue {
                request.httpBody = Data(body.utf8)
            }
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw HostFailure("\(method) \(text): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        var headers: [String: LuaValue] = [:]
        for (key, value) in (response as? HTTPURLResponse)?.allHeaderFields ?? [:] {
            headers[String(describing: key).lowercased()] = .string(String(describing: value))
        }
        let body = String(decoding: data, as: UTF8.self)
        if status >= 400 {
            throw HostFailure("\(method) \(text): HTTP \(status)\(body.isEmpty ? "" : ": " + String(body.prefix(200)))")
        }
        return [.map(["status": .integer(Int64(status)), "body": .string(body), "headers": .map(headers)])]
    }
}
