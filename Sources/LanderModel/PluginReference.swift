/// A reference to a plugin's function, as lander.yml writes it: `notify` (the function named after the
/// point) or `notify.webhook` (module `notify`, function `webhook`; the last dot separates them).
public struct PluginReference: Sendable, Hashable, CustomStringConvertible {
    /// The module on the plugin path (`notify`, `haproxy`).
    public var module: String
    /// The function, when named; otherwise the one named after the point it is bound to.
    public var function: String?

    /// Parses `module` or `module.function`.
    public init(_ text: String) {
        if let dot = text.lastIndex(of: ".") {
            module = String(text[..<dot])
            function = String(text[text.index(after: dot)...])
        } else {
            module = text
            function = nil
        }
    }

    /// The same module's function `name` (a drain plugin's `undrain`, `stop_target`).
    public func sibling(_ name: String) -> String { module + "." + name }

    public var description: String { function.map { "\(module).\($0)" } ?? module }
}
