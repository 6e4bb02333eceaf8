public import LanderModel

/// The values `{{…}}` expressions read: release, environment, target, project and variables.
public struct ExpressionScope: Sendable {
    /// Named values: `release.version`, `target.name`, `environment.name`, `project.name`, and variables by name.
    public var values: [String: ConfigValue]
    /// Outputs earlier steps set on this target, by step (read as `output.STEP.KEY`); nil at plan time.
    public var outputs: [String: [String: ConfigValue]]?
    /// Whether this is the last pass over the text: quoted literals (`{{ '{{' }}`) become their text only
    /// then, so a plan-time pass leaves them for the run-time one to read again.
    public var final: Bool

    /// Creates a scope; by default the pass is final when outputs are known (the run-time pass).
    public init(values: [String: ConfigValue], outputs: [String: [String: ConfigValue]]? = nil, final: Bool? = nil) {
        self.values = values
        self.outputs = outputs
        self.final = final ?? (outputs != nil)
    }

    /// Looks up one dotted expression; `nil` when it names nothing.
    func lookup(_ expression: String) -> ConfigValue? {
        let parts = expression.split(separator: ".").map(String.init)
        if parts.first == "output" || parts.first == "outputs", parts.count >= 3, let outputs {
            return outputs[parts[1]].flatMap { descend($0[parts[2]], Array(parts.dropFirst(3))) }
        }
        if let exact = values[expression] { return exact }
        if parts.first == "vars" || parts.first == "var", parts.count >= 2 {
            return descend(values[parts[1]], Array(parts.dropFirst(2)))
        }
        return descend(values[parts[0]], Array(parts.dropFirst()))
    }

    private func descend(_ value: ConfigValue?, _ path: [String]) -> ConfigValue? {
        var current = value
        for key in path {
            guard case .map(let map) = current else { return nil }
            current = map[key]
        }
        return current
    }
}

/// A problem with a `{{…}}` expression.
public struct ExpressionError: Error, Sendable, CustomStringConvertible {
    /// The expression as written.
    public var expression: String
    /// What is wrong.
    public var problem: String

    public var description: String { "{{\(expression)}} \(problem)" }
}

/// Resolves `{{…}}` expressions in strings written in `lander.yml`.
///
/// `{{ '…' }}` (or `{{ "…" }}`) is a quoted literal: its text as written, braces included, so
/// `{{ '{{' }}` writes a literal `{{`.
public enum Expression {
    /// Replaces every `{{expression}}`; output references stay as written when `scope.outputs` is nil.
    public static func resolve(_ text: String, in scope: ExpressionScope) throws(ExpressionError) -> String {
        guard text.contains("{{") else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            if let (literal, end) = try quotedLiteral(rest[open.upperBound...]) {
                result += scope.final ? literal : String(rest[open.lowerBound..<end])
                rest = rest[end...]
                continue
            }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ExpressionError(expression: String(rest[open.upperBound...]), problem: "is not closed with }}")
            }
            let expression = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if isOutput(expression), scope.outputs == nil {
                result += rest[open.lowerBound..<close.upperBound]
            } else {
                guard let value = scope.lookup(expression) else {
                    throw ExpressionError(expression: expression, problem: missing(expression))
                }
                result += render(value)
            }
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    /// Resolves a parameter value: a string that is exactly one expression takes the expression's own type.
    public static func resolve(_ value: ConfigValue, in scope: ExpressionScope) throws(ExpressionError) -> ConfigValue {
        switch value {
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), trimmed.dropFirst(2).range(of: "{{") == nil {
                let expression = trimmed.dropFirst(2).dropLast(2).trimmingCharacters(in: .whitespaces)
                if expression.hasPrefix("'") || expression.hasPrefix("\"") {
                    return .string(try resolve(text, in: scope))
                }
                if isOutput(expression), scope.outputs == nil { return value }
                guard let resolved = scope.lookup(expression) else {
                    throw ExpressionError(expression: expression, problem: missing(expression))
                }
                return resolved
            }
            return .string(try resolve(text, in: scope))
        case .list(let items):
            var resolved: [ConfigValue] = []
            for item in items { resolved.append(try resolve(item, in: scope)) }
            return .list(resolved)
        case .map(let map):
            var resolved: [String: ConfigValue] = [:]
            for (key, item) in map { resolved[key] = try resolve(item, in: scope) }
            return .map(resolved)
        default:
            return value
        }
    }

    /// The expressions a text holds, trimmed, in order (quoted literals and unclosed ones left out).
    public static func expressions(in text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if let (_, end) = try? quotedLiteral(rest[open.upperBound...]) {
                rest = rest[end...]
                continue
            }
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            found.append(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return found
    }

    /// A quoted literal right after `{{`: its text and where the text after its `}}` starts; nil when the
    /// expression is not a quoted literal.
    private static func quotedLiteral(_ text: Substring) throws(ExpressionError) -> (String, Substring.Index)? {
        let start = text.drop { $0 == " " }
        guard let quote = start.first, quote == "'" || quote == "\"" else { return nil }
        let body = start.dropFirst()
        guard let closing = body.firstIndex(of: quote) else {
            throw ExpressionError(
                expression: String(start), problem: "has a quoted literal without its closing \(quote)")
        }
        let after = body[body.index(after: closing)...].drop { $0 == " " }
        guard after.hasPrefix("}}") else {
            throw ExpressionError(
                expression: String(start.prefix(40)),
                problem: "holds more than a quoted literal; write {{ '{{' }} alone")
        }
        return (String(body[..<closing]), after.index(after.startIndex, offsetBy: 2))
    }

    /// Whether an expression reads a step's output (known only while deploying).
    static func isOutput(_ expression: String) -> Bool {
        expression.hasPrefix("output.") || expression.hasPrefix("outputs.")
    }

    private static func missing(_ expression: String) -> String {
        if isOutput(expression) {
            return
                "names no output set on this target; check the step and key (outputs stay on the target that set them)"
        }
        return "names no variable; define it under variables: (project, environment, role, target or step), "
            + "or use release.version, environment.name, target.name, target.root, project.name"
    }

    /// A value as it appears inside a command line.
    public static func render(_ value: ConfigValue) -> String {
        switch value {
        case .null: ""
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .string(let text): text
        case .list(let items): items.map(render).joined(separator: ",")
        case .map(let map): map.keys.sorted().map { "\($0)=\(render(map[$0] ?? .null))" }.joined(separator: ",")
        }
    }
}
