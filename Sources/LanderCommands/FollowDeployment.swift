import ArgumentParser
import Foundation
import LanderEngine
import LanderService

/// Follows a deployment the service started, the way `deploy`, `resume` and `rollback` do: its events through
/// the reporter, Ctrl-C or SIGTERM cancelling it cleanly, its outcome as the exit code.
func follow(_ handle: DeploymentHandle, reporter: Reporter) async throws {
    for warning in handle.warnings { printError(warning.description) }
    let trap = SignalTrap { signal in
        reporter.note("received \(signal); stopping running commands, then running on_cancel and finally hooks")
        handle.cancel()
    }
    let shown = Task {
        for await event in handle.events { reporter.handle(event) }
    }
    let result: Result<DeploymentReport, ServiceError>
    do {
        result = .success(try await handle.report())
    } catch {
        result = .failure(error)
    }
    await shown.value
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
