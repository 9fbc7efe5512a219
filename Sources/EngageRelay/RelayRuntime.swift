import Hummingbird
import Logging
import RelayCore
import RelayServer
import ServiceLifecycle
import UnixSignals
import WebhookVerification

/// A receiver assembled from a plan: sinks built, verifier ready, HTTP server not yet started.
public struct RelayRuntime: Sendable {
    /// The plan it runs.
    public let plan: RelayPlan
    let sinks: SinkSet
    let logger: Logger

    /// Builds the sinks of `plan` (opening files, connecting); throws a clear error when one cannot start.
    public init(plan: RelayPlan, logger: Logger) async throws {
        self.plan = plan
        self.logger = logger
        self.sinks = try await SinkSet.build(plan, logger: logger)
    }

    /// Serves until SIGTERM or SIGINT (or `shutdownSignals` are empty and the task is cancelled), then closes sinks.
    public func run(
        shutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        clock: WebhookClock = .system,
        onListening: @escaping @Sendable (ListenAddress) async -> Void = { _ in }
    ) async throws {
        let app = RelayServer.application(
            plan: plan, verifier: plan.verification.makeVerifier(clock: clock),
            intake: DirectDelivery(sinks: sinks, logger: logger), logger: logger, onListening: onListening)
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: shutdownSignals, logger: logger))
        do {
            try await group.run()
        } catch {
            await sinks.close(logger: logger)
            throw error
        }
        await sinks.close(logger: logger)
    }
}
