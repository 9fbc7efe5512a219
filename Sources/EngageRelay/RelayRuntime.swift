import Foundation
import Hummingbird
import Logging
import RelayCore
import RelayFileSink
import RelayServer
import RelaySpoolSQLite
import ServiceLifecycle
import UnixSignals
import WebhookVerification

/// A receiver assembled from a plan: spool open, in-flight deliveries recovered, sinks built, dispatcher ready.
public struct RelayRuntime: Sendable {
    /// The plan it runs.
    public let plan: RelayPlan
    let spool: SQLiteSpool
    let sinks: SinkSet
    let logger: Logger

    /// Opens the spool and builds the sinks of `plan`; throws a clear error when either cannot start.
    public init(plan: RelayPlan, logger: Logger) async throws {
        self.plan = plan
        self.logger = logger
        let spool = try Self.openSpool(plan.spool, logger: logger)
        do {
            let recovered = try await spool.recover(now: Date())
            if recovered > 0 {
                logger.notice("deliveries in flight at the last stop are pending again", metadata: ["relay.count": "\(recovered)"])
            }
            self.sinks = try await SinkSet.build(plan, logger: logger)
        } catch {
            try? await spool.close()
            throw error
        }
        self.spool = spool
    }

    /// Opens the spool named by a plan.
    static func openSpool(_ plan: SpoolPlan, logger: Logger) throws(SpoolError) -> SQLiteSpool {
        try SQLiteSpool(
            path: plan.path, commitMode: SQLiteSpool.CommitMode(rawValue: plan.commit) ?? .grouped,
            maxQueuedAppends: plan.maxQueue, maxSize: plan.maxSize, logger: logger)
    }

    /// Serves until SIGTERM or SIGINT (or until cancelled), then drains: new requests get 503, in-flight requests
    /// finish, the dispatcher finishes its current batches (up to `shutdownTimeout`), sinks and spool close.
    public func run(
        shutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        shutdownTimeout: Duration = .seconds(30),
        clock: WebhookClock = .system,
        onListening: @escaping @Sendable (ListenAddress) async -> Void = { _ in }
    ) async throws {
        let dispatcher = Dispatcher(
            spool: spool, sinks: sinks, policies: Dictionary(uniqueKeysWithValues: plan.sinks.map { ($0.name, $0.delivery) }),
            decoder: plan.verification.decoder, logger: logger)
        let drain = DrainState()
        let app = RelayServer.application(
            plan: plan, verifier: plan.verification.makeVerifier(clock: clock),
            intake: SpoolIntake(spool: spool, dispatcher: dispatcher), drain: drain, logger: logger,
            onListening: onListening)
        let maintenance = SpoolMaintenance(spool: spool, retention: plan.spool.retention, logger: logger)
        let hangup = HangupService(logger: logger)
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: maintenance), .init(service: hangup), .init(service: dispatcher), .init(service: app),
                .init(service: DrainService(state: drain)),
            ],
            gracefulShutdownSignals: shutdownSignals, logger: logger)
        configuration.maximumGracefulShutdownDuration = shutdownTimeout
        let group = ServiceGroup(configuration: configuration)
        do {
            try await group.run()
        } catch {
            await close()
            throw error
        }
        await close()
    }

    private func close() async {
        await sinks.close(logger: logger)
        do {
            try await spool.close()
        } catch {
            logger.error("spool close failed", metadata: ["relay.error": .string(error.description)])
        }
    }
}

/// Prunes delivered events past the retention period, at start and then hourly.
struct SpoolMaintenance: Service {
    let spool: any Spool
    let retention: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let pruned = try await spool.prune(receivedBefore: Date().addingTimeInterval(-retention.seconds))
                if pruned > 0 { logger.info("pruned delivered events past retention", metadata: ["relay.count": "\(pruned)"]) }
            } catch {
                logger.error("spool prune failed", metadata: ["relay.error": .string(error.description)])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}

/// On SIGHUP, asks file sinks to reopen their paths (for an external logrotate).
struct HangupService: Service {
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                FileSink.reopenAll()
                logger.info("SIGHUP: file sinks reopen their files")
            }
        }
    }
}
