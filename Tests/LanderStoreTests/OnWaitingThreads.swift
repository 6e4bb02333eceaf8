import LanderModel
import Testing

/// Runs each test of a suite on `WaitingExecutor.shared`, as Lander runs work on a PostgreSQL store: the
/// test's synchronous store calls (through a restart, or a COMMIT held in a trigger) wait on threads of
/// their own, never holding the cooperative pool that every other suite of the process needs.
struct OnWaitingThreads: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(WaitingExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OnWaitingThreads {
    /// The suite's tests run on threads that may wait.
    static var onWaitingThreads: Self { Self() }
}
