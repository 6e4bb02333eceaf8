import Foundation
import LanderModel
import Yams

/// `subscriptions:` and `smtp:` of the workspace file.
extension WorkspaceLoader {
    static let subscriptionKeys = [
        "name", "events", "projects", "environments", "lock_wait", "webhook", "email", "when_all",
    ]
    static let webhookKeys = ["url", "secret", "format", "retry", "timeout", "headers"]
    static let emailKeys = ["to", "digest", "subject_prefix", "retry"]
    static let smtpKeys = ["host", "port", "security", "username", "password", "from", "ca_file", "timeout"]

    /// Every subscription of the list, checked against the members' names and environments.
    static func subscriptions(_ node: Node, of workspace: Workspace, _ reader: inout NodeReader) -> [Subscription] {
        guard let items = node.sequence else {
            reader.report("subscriptions must be a list, found \(reader.kind(of: node))", at: node)
            return []
        }
        var result: [Subscription] = []
        for item in items {
            guard let subscription = subscription(item, of: workspace, &reader) else { continue }
            if result.contains(where: { $0.name == subscription.name }) {
                reader.report("two subscriptions are named '\(subscription.name)'", at: item, hint: "names are unique")
                continue
            }
            result.append(subscription)
        }
        if workspace.smtp == nil, let mail = result.first(where: { $0.destination.channel == "email" }) {
            reader.report(
                Diagnostic(
                    "subscription '\(mail.name)' sends email, but the workspace has no smtp: server", at: mail.location,
                    hint: "add smtp: { host: mail.example.com, port: 587, from: lander@example.com }"))
        }
        return result
    }

    private static func subscription(_ node: Node, of workspace: Workspace, _ reader: inout NodeReader)
        -> Subscription?
    {
        guard let pairs = reader.mapping(node, in: "a subscription", allowed: subscriptionKeys) else { return nil }
        var name: String?
        var events: Set<Subscription.EventKind> = []
        var projects: [String] = []
        var environments: [String] = []
        var lockWait = Duration.seconds(300)
        var group: GroupCondition?
        var destinations: [Subscription.Destination] = []
        for (key, value, _) in pairs {
            switch key {
            case "name": name = reader.string(value, "a subscription's name")
            case "events": events = eventKinds(value, &reader)
            case "projects": projects = memberNames(value, "projects of a subscription", workspace, &reader)
            case "environments":
                environments = environmentNames(value, "environments of a subscription", workspace, &reader)
            case "lock_wait": lockWait = reader.duration(value, "lock_wait") ?? lockWait
            case "when_all": group = groupCondition(value, workspace, &reader)
            case "webhook": webhook(value, &reader).map { destinations.append(.webhook($0)) }
            case "email": email(value, &reader).map { destinations.append(.email($0)) }
            default: break
            }
        }
        guard let name else {
            reader.report("a subscription needs a name:", at: node, hint: "name: chat-alerts")
            return nil
        }
        guard destinations.count == 1, let destination = destinations.first else {
            reader.report(
                "subscription '\(name)' needs one destination: webhook: or email:", at: node,
                hint: destinations.isEmpty ? "add webhook: { url: https://… }" : "split it into two subscriptions")
            return nil
        }
        if events.isEmpty && group == nil {
            reader.report(
                "subscription '\(name)' names no events:", at: node,
                hint: "events: [deployment_failed, step_failed], or when_all: for a group condition")
        }
        return Subscription(
            name: name, events: events, projects: projects, environments: environments, lockWait: lockWait,
            group: group, destination: destination, location: reader.location(node))
    }

    private static func eventKinds(_ node: Node, _ reader: inout NodeReader) -> Set<Subscription.EventKind> {
        let names = Subscription.EventKind.allCases.map(\.rawValue)
        var kinds: Set<Subscription.EventKind> = []
        for item in node.sequence.map(Array.init) ?? [node] {
            guard let text = reader.string(item, "an event kind") else { continue }
            if text == "all" {
                kinds.formUnion(Subscription.EventKind.allCases)
            } else if let kind = Subscription.EventKind(rawValue: text) {
                kinds.insert(kind)
            } else {
                reader.report(
                    "unknown event kind '\(text)'", at: item,
                    hint: Suggestion.hint(for: text, in: names, listing: "kinds are"))
            }
        }
        return kinds
    }

    static func memberNames(_ node: Node, _ what: String, _ workspace: Workspace, _ reader: inout NodeReader)
        -> [String]
    {
        let known = workspace.members.map(\.name)
        var names: [String] = []
        for item in node.sequence.map(Array.init) ?? [node] {
            guard let name = reader.string(item, what) else { continue }
            if known.contains(name) {
                names.append(name)
            } else {
                reader.report(
                    "'\(name)' in \(what) is no project of the workspace", at: item,
                    hint: Suggestion.hint(for: name, in: known, listing: "its projects are"))
            }
        }
        return names
    }

    static func environmentNames(_ node: Node, _ what: String, _ workspace: Workspace, _ reader: inout NodeReader)
        -> [String]
    {
        (node.sequence.map(Array.init) ?? [node]).compactMap { environment($0, what, workspace, &reader) }
    }

    /// An environment name some member defines.
    static func environment(_ node: Node, _ what: String, _ workspace: Workspace, _ reader: inout NodeReader)
        -> String?
    {
        var known: [String] = []
        for member in workspace.members {
            for name in member.environments where !known.contains(name) { known.append(name) }
        }
        guard let name = reader.string(node, what) else { return nil }
        guard known.contains(name) else {
            reader.report(
                "environment '\(name)' in \(what) is defined by no project of the workspace", at: node,
                hint: Suggestion.hint(for: name, in: known, listing: "environments are"))
            return nil
        }
        return name
    }

    private static func groupCondition(_ node: Node, _ workspace: Workspace, _ reader: inout NodeReader)
        -> GroupCondition?
    {
        guard let pairs = reader.mapping(node, in: "when_all", allowed: ["projects", "environment", "version"]) else {
            return nil
        }
        var projects: [String] = []
        var environment: String?
        var version = GroupCondition.Version.same
        for (key, value, _) in pairs {
            switch key {
            case "projects": projects = memberNames(value, "projects of when_all", workspace, &reader)
            case "environment": environment = Self.environment(value, "when_all", workspace, &reader)
            case "version":
                switch reader.string(value, "when_all's version") {
                case "same", nil: version = .same
                case "wave": version = .wave
                case let text?: version = .exactly(text)
                }
            default: break
            }
        }
        guard projects.count >= 1, let environment else {
            reader.report(
                "when_all needs projects: and environment:", at: node,
                hint: "when_all: { projects: [billing, checkout], environment: production, version: same }")
            return nil
        }
        return GroupCondition(projects: projects, environment: environment, version: version)
    }

    private static func webhook(_ node: Node, _ reader: inout NodeReader) -> Subscription.Webhook? {
        guard let pairs = reader.mapping(node, in: "webhook", allowed: webhookKeys) else { return nil }
        var url: SecretText?
        var webhook = Subscription.Webhook(url: .literal(""))
        for (key, value, _) in pairs {
            switch key {
            case "url": url = secretText(value, "the webhook's url", &reader)
            case "secret": webhook.secret = secretText(value, "the webhook's secret", &reader)
            case "format": webhook.format = reader.string(value, "format").map(PluginReference.init)
            case "retry": webhook.retry = retryPolicy(value, &reader)
            case "timeout": webhook.timeout = reader.duration(value, "timeout") ?? webhook.timeout
            case "headers":
                for (name, header, _) in reader.named(value, in: "headers") {
                    webhook.headers[name] = reader.string(header, "header \(name)")
                }
            default: break
            }
        }
        guard let url else {
            reader.report("a webhook needs a url:", at: node, hint: "url: https://hooks.example.com/lander")
            return nil
        }
        if case .literal(let text) = url, URL(string: text)?.scheme.map({ ["http", "https"].contains($0) }) != true {
            reader.report("the webhook's url '\(text)' is not an http or https URL", at: node)
        }
        if case .literal? = webhook.secret {
            reader.report(
                "the webhook's secret is written in the workspace file", at: node,
                hint: "read it from the environment: secret: { secret: HOOK_SECRET }")
        }
        webhook.url = url
        return webhook
    }

    private static func email(_ node: Node, _ reader: inout NodeReader) -> Subscription.Email? {
        guard let pairs = reader.mapping(node, in: "email", allowed: emailKeys) else { return nil }
        var email = Subscription.Email(to: [])
        for (key, value, _) in pairs {
            switch key {
            case "to": email.to = reader.strings(value, "to") ?? [value.scalar?.string].compactMap { $0 }
            case "digest": email.digest = reader.duration(value, "digest")
            case "subject_prefix": email.subjectPrefix = reader.string(value, "subject_prefix") ?? email.subjectPrefix
            case "retry": email.retry = retryPolicy(value, &reader)
            default: break
            }
        }
        if email.to.isEmpty || email.to.contains(where: { !$0.contains("@") }) {
            reader.report("email needs to: with addresses", at: node, hint: "to: [ops@example.com]")
            return nil
        }
        return email
    }

    static func retryPolicy(_ node: Node, _ reader: inout NodeReader) -> RetryPolicy {
        var policy = RetryPolicy()
        for (key, value, _) in reader.mapping(node, in: "retry", allowed: ["attempts", "backoff", "max_backoff"]) ?? []
        {
            switch key {
            case "attempts": policy.attempts = reader.integer(value, "attempts", atLeast: 1) ?? policy.attempts
            case "backoff": policy.backoff = reader.duration(value, "backoff") ?? policy.backoff
            case "max_backoff": policy.maxBackoff = reader.duration(value, "max_backoff") ?? policy.maxBackoff
            default: break
            }
        }
        return policy
    }

    /// Text, or `{ secret: NAME }` read from Lander's environment when used.
    static func secretText(_ node: Node, _ what: String, _ reader: inout NodeReader) -> SecretText? {
        if node.mapping != nil {
            let pairs = reader.mapping(node, in: what, allowed: ["secret"]) ?? []
            guard let (_, value, _) = pairs.first, let name = reader.string(value, "secret") else {
                reader.report("\(what) must be text or { secret: NAME }", at: node)
                return nil
            }
            return .secret(name)
        }
        return reader.string(node, what).map(SecretText.literal)
    }

    /// `smtp:`: the mail server.
    static func smtp(_ node: Node, _ reader: inout NodeReader) -> SMTPSettings? {
        guard let pairs = reader.mapping(node, in: "smtp", allowed: smtpKeys) else { return nil }
        var settings = SMTPSettings(host: "", from: "")
        var portGiven = false
        var securityGiven = false
        for (key, value, _) in pairs {
            switch key {
            case "host": settings.host = reader.string(value, "smtp host") ?? ""
            case "port":
                settings.port = reader.integer(value, "smtp port", atLeast: 1) ?? settings.port
                portGiven = true
            case "security":
                let names = SMTPSettings.Security.allCases.map(\.rawValue)
                if let text = reader.string(value, "smtp security") {
                    if let security = SMTPSettings.Security(rawValue: text) {
                        settings.security = security
                        securityGiven = true
                    } else {
                        reader.report(
                            "unknown smtp security '\(text)'", at: value,
                            hint: Suggestion.hint(for: text, in: names, listing: "it is one of"))
                    }
                }
            case "username": settings.username = reader.string(value, "smtp username")
            case "password": settings.password = secretText(value, "the smtp password", &reader)
            case "from": settings.from = reader.string(value, "smtp from") ?? ""
            case "ca_file": settings.caFile = reader.string(value, "smtp ca_file")
            case "timeout": settings.timeout = reader.duration(value, "smtp timeout") ?? settings.timeout
            default: break
            }
        }
        if !portGiven { settings.port = settings.security == .tls ? 465 : settings.security == .none ? 25 : 587 }
        if !securityGiven && portGiven && settings.port == 465 { settings.security = .tls }
        if settings.host.isEmpty || !settings.from.contains("@") {
            reader.report(
                "smtp needs host: and from:", at: node,
                hint: "smtp: { host: mail.example.com, port: 587, from: lander@example.com }")
            return nil
        }
        if case .literal? = settings.password {
            reader.report(
                "the smtp password is written in the workspace file", at: node,
                hint: "read it from the environment: password: { secret: SMTP_PASSWORD }")
        }
        return settings
    }
}
