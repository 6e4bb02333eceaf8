public import LanderTransport
import Synchronization

/// Sessions of one deployment: per-target processes opened in one step and closed in a later one,
/// or when the deployment ends, whatever its outcome.
public final class SessionStore: Sendable {
    private let sessions = Mutex<[String: [String: any BackgroundCommand]]>([:])
    /// How long a closing session has between SIGTERM and SIGKILL.
    public let grace: Duration

    /// Told of every session opened and closed (the deployment records them, so a resumed run can
    /// stop what an interrupted one left running).
    let events: EventSink?

    /// Creates an empty store.
    public init(grace: Duration = .seconds(3), events: EventSink? = nil) {
        self.grace = grace
        self.events = events
    }

    /// Remembers a session a step's task opened; false when the target already has one of that name.
    public func open(
        _ name: String, on target: String, _ command: any BackgroundCommand, step: String? = nil, task: String? = nil
    ) -> Bool {
        let opened = sessions.withLock { sessions in
            if sessions[target, default: [:]][name] != nil { return false }
            sessions[target, default: [:]][name] = command
            return true
        }
        if opened {
            events?(.sessionOpened(target: target, name: name, pid: command.pid, step: step, task: task))
        }
        return opened
    }

    /// The open session of a name on a target.
    public func session(_ name: String, on target: String) -> (any BackgroundCommand)? {
        sessions.withLock { $0[target]?[name] }
    }

    /// The names of the sessions open on a target.
    public func names(on target: String) -> [String] {
        sessions.withLock { ($0[target] ?? [:]).keys.sorted() }
    }

    /// Closes one session; nil when there is none of that name.
    public func close(_ name: String, on target: String) async -> CommandResult? {
        guard let command = sessions.withLock({ $0[target]?.removeValue(forKey: name) }) else { return nil }
        let result = await command.close(grace: grace)
        events?(.sessionClosed(target: target, name: name))
        return result
    }

    /// Closes every session still open; returns how many there were.
    @discardableResult
    public func closeAll() async -> Int {
        let all = sessions.withLock { sessions in
            defer { sessions = [:] }
            return sessions.flatMap { target, named in named.map { (target: target, name: $0.key, command: $0.value) } }
        }
        await withTaskGroup(of: Void.self) { group in
            for session in all {
                group.addTask {
                    _ = await session.command.close(grace: self.grace)
                    self.events?(.sessionClosed(target: session.target, name: session.name))
                }
            }
        }
        return all.count
    }
}
