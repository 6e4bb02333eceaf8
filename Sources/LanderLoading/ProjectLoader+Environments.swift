import Foundation
import LanderModel
import Yams

extension ProjectLoader {
    // MARK: Environments

    static func environments(_ node: Node, _ reader: inout NodeReader) -> [Environment] {
        reader.named(node, in: "environments").map { name, node, keyNode in
            var environment = Environment(name: name, location: reader.location(keyNode))
            let pairs = reader.mapping(node, in: "environment '\(name)'", allowed: environmentKeys) ?? []
            // ssh: defaults first, whatever their place in the file: targets build on them.
            var sshDefaults: SSHEndpoint?
            for (key, value, _) in pairs where key == "ssh" {
                sshDefaults = ssh(value, defaults: nil, context: "ssh defaults of environment '\(name)'", &reader)
            }
            for (key, value, _) in pairs {
                switch key {
                case "variables": environment.variables = reader.variables(value, in: "environment '\(name)'")
                case "acquisition", "mirror":
                    PackageLoader.policy(key, value, in: "environment '\(name)'", &environment.acquisition, &reader)
                case "roles":
                    for (role, roleNode, _) in reader.named(value, in: "roles of environment '\(name)'") {
                        for (roleKey, variables, _) in reader.mapping(
                            roleNode, in: "role '\(role)'", allowed: ["variables"]) ?? []
                        where roleKey == "variables" {
                            environment.roleVariables[role] = reader.variables(variables, in: "role '\(role)'")
                        }
                    }
                case "targets":
                    environment.targets = reader.named(value, in: "targets of environment '\(name)'").flatMap {
                        targets(
                            named: $0.key, $0.node, keyNode: $0.keyNode, environment: name, ssh: sshDefaults, &reader)
                    }
                default: break
                }
            }
            return environment
        }
    }

    /// One target entry; `app-[01:03]` expands to app-01…app-03, with `{n}` replaced in its root.
    static func targets(
        named pattern: String, _ node: Node, keyNode: Node, environment: String, ssh defaults: SSHEndpoint?,
        _ reader: inout NodeReader
    ) -> [Target] {
        var roles: [String] = []
        var root: String?
        var transport: String?
        var variables: [String: ConfigValue] = [:]
        var endpoint: SSHEndpoint?
        var agent: String?
        var acquisition = AcquisitionPolicy()
        for (key, value, _) in reader.mapping(node, in: "target '\(pattern)'", allowed: targetKeys) ?? [] {
            switch key {
            case "acquisition", "mirror":
                PackageLoader.policy(key, value, in: "target '\(pattern)'", &acquisition, &reader)
            case "ssh": endpoint = ssh(value, defaults: defaults, context: "ssh of target '\(pattern)'", &reader)
            case "agent": agent = reader.string(value, "agent of target '\(pattern)'")
            case "roles": roles = reader.strings(value, "roles of target '\(pattern)'") ?? []
            case "root": root = reader.string(value, "root of target '\(pattern)'")
            case "transport": transport = reader.string(value, "transport of target '\(pattern)'") ?? transport
            case "variables": variables = reader.variables(value, in: "target '\(pattern)'")
            default: break
            }
        }
        let kind = transport ?? (agent != nil ? "agent" : endpoint == nil ? "local" : "ssh")
        guard ["local", "ssh", "agent"].contains(kind) else {
            reader.report(
                "unknown transport '\(kind)' for target '\(pattern)'", at: node,
                hint: "transports are: local, ssh, agent")
            return []
        }
        if kind == "agent", agent == nil || agent?.isEmpty == true {
            reader.report(
                "target '\(pattern)' uses transport agent but names no agent", at: keyNode,
                hint: "add agent: NAME (the name it was enrolled under: lander server agent list)")
            return []
        }
        if agent != nil, endpoint != nil {
            reader.report(
                "target '\(pattern)' has both ssh: and agent:", at: keyNode,
                hint: "a target is reached one way: keep ssh: or agent:")
            return []
        }
        if kind == "ssh", endpoint == nil {
            reader.report(
                "target '\(pattern)' uses transport ssh but has no ssh:", at: keyNode,
                hint: "add ssh: user@host[:port] (or ssh: { host: …, user: … })")
            return []
        }
        if roles.isEmpty { reader.report("target '\(pattern)' has no roles", at: keyNode, hint: "add roles: [app]") }
        let location = reader.location(keyNode)
        return expand(pattern).map { name, number in
            func fill(_ text: String) -> String {
                text.replacingOccurrences(of: "{n}", with: number ?? "").replacingOccurrences(of: "{name}", with: name)
            }
            let transport: Transport
            if let agent, kind == "agent" {
                transport = .agent(fill(agent), root: fill(root ?? "targets/{name}"))
            } else if var endpoint, kind == "ssh" {
                endpoint.destination = fill(endpoint.destination)
                transport = .ssh(endpoint, root: fill(root ?? ".lander/\(environment)"))
            } else {
                transport = .local(root: fill(root ?? ".lander/targets/\(environment)/{name}"))
            }
            var target = Target(
                name: name, transport: transport, roles: roles, variables: variables, location: location)
            target.acquisition = acquisition
            return target
        }
    }

    /// `ssh: user@host[:port]` or `ssh: { host, user, port, identity, jump, config, options, host_key_checking }`.
    static func ssh(_ node: Node, defaults: SSHEndpoint?, context: String, _ reader: inout NodeReader)
        -> SSHEndpoint?
    {
        var endpoint = defaults ?? SSHEndpoint(destination: "")
        if let text = node.scalar?.string {
            var destination = text
            if let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) {
                destination = String(text[..<colon])
                endpoint.port = port
            }
            endpoint.destination = destination
            return endpoint
        }
        for (key, value, _) in reader.mapping(node, in: context, allowed: sshKeys) ?? [] {
            switch key {
            case "host": endpoint.destination = reader.string(value, "host of \(context)") ?? ""
            case "user": endpoint.user = reader.string(value, "user of \(context)")
            case "port": endpoint.port = reader.integer(value, "port of \(context)", atLeast: 1)
            case "identity": endpoint.identity = reader.string(value, "identity of \(context)")
            case "jump": endpoint.jump = reader.string(value, "jump of \(context)")
            case "config": endpoint.configFile = reader.string(value, "config of \(context)")
            case "options":
                for (name, option, _) in reader.named(value, in: "options of \(context)") {
                    endpoint.options[name] = reader.string(option, "option \(name) of \(context)")
                }
            case "host_key_checking":
                let mode = reader.string(value, "host_key_checking of \(context)") ?? "yes"
                if mode == "yes" || mode == "accept-new" {
                    endpoint.hostKeyChecking = mode
                } else {
                    reader.report(
                        "host_key_checking must be yes or accept-new, found '\(mode)'", at: value,
                        hint: "Lander never turns host key checking off")
                }
            default: break
            }
        }
        return endpoint
    }

    static func expand(_ pattern: String) -> [(name: String, number: String?)] {
        guard let open = pattern.firstIndex(of: "["), let close = pattern[open...].firstIndex(of: "]") else {
            return [(pattern, nil)]
        }
        let range = pattern[pattern.index(after: open)..<close].split(separator: ":")
        guard range.count == 2, let low = Int(range[0]), let high = Int(range[1]), low <= high, high - low < 10_000
        else {
            return [(pattern, nil)]
        }
        let width = range[0].count
        return (low...high).map { number in
            var digits = String(number)
            if digits.count < width { digits = String(repeating: "0", count: width - digits.count) + digits }
            return (String(pattern[..<open]) + digits + String(pattern[pattern.index(after: close)...]), digits)
        }
    }
}
