import ArgumentParser
import Foundation
import LanderEngine
import LanderService

/// Shows a deployment as `deploy`, `resume` and `rollback` do: planning's warnings and where it starts from
/// first, then each event through the reporter as it happens (on the engine's threads: no task wake-up per
/// event).
struct ReporterObserver: DeploymentObserver {
    let reporter: Reporter

    func started(_ handle: DeploymentHandle) {
        for warning in handle.warnings { printError(warning.description) }
        switch handle.startedFrom {
        case .fresh: break
        case .resumed(let record, let finished):
            let before = record.status == "cancelled" ? "it was cancelled" : "the interruption"
            reporter.note("resuming \(record.id): \(finished) task run(s) finished before \(before)")
        case .rollback(let target):
            reporter.note(
                "rolling back \(handle.plan.project) on \(handle.plan.environment) to \(target.version) "
                    + "(deployment \(target.id))")
        }
    }

    func observe(_ envelope: EventEnvelope) { reporter.handle(envelope) }
}

/// Follows a deployment the service started with a `ReporterObserver`: Ctrl-C or SIGTERM cancel it cleanly,
/// its outcome is the exit code.
func follow(_ handle: DeploymentHandle, reporter: Reporter) async throws {
    let trap = SignalTrap { signal in
        reporter.note("received \(signal); stopping running commands, then running on_cancel and finally hooks")
        handle.cancel()
    }
    let result: Result<DeploymentReport, ServiceError>
    do {
        result = .success(try await handle.report())
    } catch {
        result = .failure(error)
    }
    trap.release()
    switch result {
    case .success(let report):
        reporter.finish(report)
        switch report.outcome {
        case .succeeded: return
        case .failed: throw ExitCode(ExitCodes.failed)
        case .cancelled: throw ExitCode(ExitCodes.cancelled)
        }
    case .failure(let error):
        throw refusal(error)
    }
}

/// Prints a service error (its diagnostics, then its message) and gives its exit code.
func refusal(_ error: ServiceError) -> ExitCode {
    for diagnostic in error.diagnostics { printError(diagnostic.description) }
    printError("lander: \(error.message)")
    switch error.kind {
    case .invalidProject: return ExitCode(ExitCodes.invalidProject)
    case .invalidRequest: return ExitCode(ExitCodes.usage)
    case .cancelled: return ExitCode(ExitCodes.cancelled)
    default: return ExitCode(ExitCodes.refused)
    }
}
