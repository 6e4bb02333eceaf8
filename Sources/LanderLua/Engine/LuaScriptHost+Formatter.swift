public import LanderEngine
public import LanderModel

extension LuaScriptHost {
    /// Runs a subscription's formatter (`slack.message`): the function gets the event (its envelope decoded)
    /// and facts about its deployment, and returns the body to send: a table is sent as JSON, a string as it
    /// is. Runs sandboxed with the usual limits; `lander.log` lines are dropped (no deployment to log into).
    public func format(_ reference: PluginReference, eventJSON: String, facts: [String: String])
        async throws(ScriptError)
        -> String
    {
        let runtime: LuaRuntime
        do {
            runtime = try LuaRuntime(limits: limits, pluginPath: pluginPath, output: { _ in }, log: { _, _ in })
        } catch {
            throw ScriptError(error.description)
        }
        JSONAPI().install(in: runtime)
        let event: LuaValue
        switch JSON.decode(eventJSON) {
        case .success(let value): event = value
        case .failure(let failure): throw ScriptError("formatter \(reference): \(failure.description)")
        }
        do {
            let module = try await runtime.require(reference.module)
            guard case .map(let fields) = module, case .function(let function)? = fields[reference.function ?? "format"]
            else {
                throw ScriptError(
                    "formatter \(reference): module '\(reference.module)' has no function "
                        + "'\(reference.function ?? "format")'; return it from the module")
            }
            let result = try await runtime.call(function, [event, .map(facts.mapValues(LuaValue.string))])
            switch result.first ?? .nil {
            case .string(let text): return text
            case .map, .array: return JSON.encode(result.first ?? .nil)
            case let other:
                throw ScriptError(
                    "formatter \(reference) returned \(other.typeName); return a table (sent as JSON) or a string")
            }
        } catch let error as ScriptError {
            throw error
        } catch let error as LuaError {
            throw ScriptError("formatter \(reference): \(error.description)")
        } catch {
            throw ScriptError("formatter \(reference): \(error)")
        }
    }
}
