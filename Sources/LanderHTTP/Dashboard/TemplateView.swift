import Mustache

/// A value a page template renders whose computed properties the template also reads. Mustache reads
/// stored properties through `Mirror`, which never sees a computed one: `{{#hasChildren}}` on a plain
/// struct is always empty. A view names its computed values in `computed`; the rest are read as Mustache
/// would.
protocol TemplateView: MustacheParent {
    /// The computed values the template reads, by name.
    var computed: [String: Any] { get }
}

extension TemplateView {
    func child(named name: String) -> Any? {
        if let value = computed[name] { return value }
        guard let stored = Mirror(reflecting: self).children.first(where: { $0.label == name })?.value else {
            return nil
        }
        // An optional's value, or nil for none (as Mustache's own lookup does).
        let mirror = Mirror(reflecting: stored)
        guard mirror.displayStyle == .optional else { return stored }
        return mirror.children.first?.value
    }
}
