import Foundation
import Hummingbird
import Logging
import Prometheus
import RelayConfig
import RelayCore
import RelayPlanning
import RelayPlanning
import RelayServer
import ServiceLifecycle
import Synchronization
import UnixSignals
import WebhookVerification

/// A receiver assembled from a plan: the spool the plan names opened through a ``SpoolRegistry``, the sinks built
/// through a ``SinkRegistry``, and a dispatcher ready; it names no concrete spool or sink type.
///
/// `SIGHUP` reloads the config file the plan came from (see ``reload()``) and asks every sink to ``Sink/reopen()``;
/// `SIGTERM`/`SIGINT` drain and stop. Deliveries another process left in flight come back through their leases,
/// so start-up resets nothing.
public final class RelayRuntime: Sendable {
    /// The most diagnostics of one reload that are logged one a line; the rest are counted in one line.
    static let loggedDiagnostics = 20

    /// The plan in force (replaced by a successful reload).
    public var plan: RelayPlan { settings.current.plan }
    let spool: any Spool
    let logger: Logger
    let registry: SinkRegistry
    let environment: [String: String]
    let clock: RelayClock
    /// Every secret value any config of this run resolved, scrubbed from sinks' reasons and output.
    let redactor = SecretRedactor()
    /// The Prometheus registry behind `/metrics`.
    public let metricsRegistry = PrometheusCollectorRegistry()
    /// The receiver's metrics.
    public let metrics: RelayMetrics
    let settings: LiveIngestSettings
    let dispatcher: Dispatcher
    let drain = DrainState()
    let tls: TLSCredentials?
    /// Whether ingest was refused for room lately, for `/readyz`.
    let spoolHealth = SpoolHealth()
    private let readiness = Mutex<(at: ContinuousClock.Instant, failing: [String])?>(nil)
    private let reloading = Mutex(false)
    private let levelFromFlagState = Mutex(false)

    /// Whether the log level was given on the command line (then a reload leaves it alone).
    public var levelFromFlag: Bool {
        get { levelFromFlagState.withLock { $0 } }
        set { levelFromFlagState.withLock { $0 = newValue } }
    }

    /// Opens the spool and builds the sinks of `plan`; throws a clear error when either cannot start. The plan must
    /// have been validated with every secret read (``SecretResolution/all``, the default).
    ///
    /// A reload re-reads `plan.source.path` with `registry` and `environment`.
    public init(
        plan: RelayPlan, logger: Logger, registry: SinkRegistry = .builtIn, spools: SpoolRegistry = .builtIn,
        environment: [String: String] = ProcessInfo.processInfo.environment, clock: RelayClock = .system
    ) async throws {
        precondition(
            plan.secretResolution == .all, "a receiver needs a plan validated with every secret read (`secrets: .all`)")
        self.logger = logger
        self.registry = registry
        self.environment = environment
        self.clock = clock
        var factory = PrometheusMetricsFactory(registry: metricsRegistry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
        ]
        self.metrics = RelayMetrics(factory: factory)
        self.tls = try plan.tls.map { try TLSCredentials(certificatePath: $0.certificatePath, keyPath: $0.keyPath) }
        plan.addSecrets(to: redactor)
        let spool = try await spools.open(plan.spool, logger: logger)
        let sinks: SinkSet
        do {
            sinks = try await SinkSet.build(
                plan.sinks, logger: logger, metrics: metrics.factory, clock: clock, redactor: redactor)
        } catch {
            try? await spool.close()
            throw error
        }
        self.spool = spool
        let settings = LiveIngestSettings(IngestSettings(plan: plan, clock: clock))
        self.settings = settings
        self.dispatcher = Dispatcher(
            spool: spool, sinks: sinks, policies: Dictionary(uniqueKeysWithValues: plan.sinks.map { ($0.name, $0.delivery) }),
            decoder: { settings.current.decoder }, logger: logger, metrics: metrics,
            lease: LeaseTerms(owner: LeaseTerms.instanceID(), duration: plan.spool.lease), clock: clock,
            redactor: redactor)
        await deadLetterOrphans(keeping: Set(plan.sinks.map(\.name)))
    }

    /// Serves until SIGTERM or SIGINT (or until cancelled), then drains: new requests get 503, in-flight requests
    /// finish, the dispatcher finishes its current batches (up to `shutdownTimeout`, by default the plan's
    /// `drain-timeout`; a batch still running then is given up on), sinks close (each given up on after 5 s) and the
    /// spool closes.
    public func run(
        shutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        shutdownTimeout: Duration? = nil,
        onListening: @escaping @Sendable (ListenAddress) async -> Void = { _ in },
        onMetricsListening: @escaping @Sendable (ListenAddress) async -> Void = { _ in }
    ) async throws {
        let plan = self.plan
        let operations = OperationsEndpoints(
            failingReadinessChecks: { [self] in await failingReadinessChecks() },
            metricsText: { [self] in await metricsText() })
        let app = try RelayServer.application(
            plan: plan, settings: settings,
            intake: SpoolIntake(spool: spool, dispatcher: dispatcher, health: spoolHealth), drain: drain,
            metrics: metrics, tls: tls, logger: logger, onListening: onListening)
        let services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: SpoolMaintenance(runtime: self)), .init(service: SpoolGauges(runtime: self)),
            .init(service: HangupService(runtime: self)), .init(service: dispatcher),
            .init(
                service: RelayServer.operationsApplication(
                    address: plan.metricsListen, limits: plan.limits, operations: operations, drain: drain,
                    logger: logger, onListening: onMetricsListening)),
            .init(service: app), .init(service: DrainService(state: drain)),
        ]
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: shutdownSignals, logger: logger)
        configuration.maximumGracefulShutdownDuration = shutdownTimeout ?? plan.drainTimeout
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
        await dispatcher.currentSinks.close(logger: logger)
        do {
            try await spool.close()
        } catch {
            logger.error("spool close failed", metadata: ["relay.error": .string(error.description)])
        }
    }

    /// `/readyz`: the checks failing now, worked out at most once a second however often probes come: `spool`
    /// when it cannot take a write, `spool_full` when ingest was refused for room in the last few seconds.
    func failingReadinessChecks() async -> [String] {
        let now = ContinuousClock.now
        if let cached = readiness.withLock({ $0 }), now - cached.at < .seconds(1) { return cached.failing }
        var failing: [String] = []
        do {
            try await spool.checkWritable()
        } catch {
            logger.warning("readiness: spool not writable", metadata: ["relay.error": .string(error.description)])
            failing.append("spool")
        }
        if spoolHealth.isFull { failing.append("spool_full") }
        readiness.withLock { $0 = (now, failing) }
        return failing
    }

    /// The Prometheus text exposition; the spool gauges in it are refreshed by ``SpoolGauges``, never per scrape.
    func metricsText() async -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        metricsRegistry.emit(into: &buffer)
        return buffer
    }

    /// Reads the spool's depth into the gauges.
    func refreshSpoolGauges() async {
        do {
            metrics.spool(depth: try await spool.depth(), now: clock.now())
        } catch {
            logger.warning("spool gauges not refreshed", metadata: ["relay.error": .string(error.description)])
        }
    }

    /// Pending deliveries to sinks the config no longer declares become dead letters with that reason, so they stay
    /// visible (`dead-letters list`) and can be retried once the sink is back.
    func deadLetterOrphans(keeping sinks: Set<String>) async {
        do {
            let orphans = Set(
                try await spool.depth().filter { !sinks.contains($0.sink) && ($0.state == .pending || $0.state == .inFlight) }
                    .map(\.sink))
            for sink in orphans.sorted() {
                let reason =
                    "sink `\(sink)` is not in the config (removed); retry with `dead-letters retry --sink \(sink)` once it is back"
                let total = try await spool.deadLetter(sink: sink, reason: reason, now: clock.now())
                for _ in 0..<total { metrics.delivery(sink: sink, outcome: .deadLettered) }
                if total > 0 {
                    logger.warning(
                        "pending deliveries to a sink no longer in the config are now dead letters",
                        metadata: ["relay.sink": .string(sink), "relay.count": "\(total)"])
                }
            }
        } catch {
            logger.error("dead-lettering deliveries of removed sinks failed", metadata: ["relay.error": .string(error.description)])
        }
    }

    /// Asks every running sink to reopen what it holds open by path (after an external logrotate).
    func reopenSinks() async {
        for (name, sink) in dispatcher.currentSinks.sinks {
            do {
                try await sink.reopen()
            } catch {
                logger.error("sink reopen failed", metadata: ["relay.sink": .string(name), "relay.error": "\(error)"])
            }
        }
    }

    /// Re-reads the config file and, when it is valid, puts it in force without dropping a request: routes and
    /// verification settings swap at once, unchanged sinks keep running, changed ones are rebuilt, removed ones stop
    /// after their current batch and their pending deliveries become dead letters. An invalid config changes nothing
    /// and every diagnostic is logged. Listen addresses and the spool need a restart (a change is logged and ignored).
    @discardableResult
    public func reload() async -> Bool {
        guard reloading.withLock({ busy in defer { busy = true }; return !busy }) else {
            logger.warning("reload already in progress; this SIGHUP is ignored")
            return false
        }
        defer { reloading.withLock { $0 = false } }
        let succeeded = await performReload()
        metrics.reload(succeeded: succeeded)
        return succeeded
    }

    private func performReload() async -> Bool {
        let old = plan
        let path = old.source.path
        let loaded: (source: SourceFile, plan: RelayPlan?, diagnostics: [Diagnostic])
        do {
            loaded = try RelayPlan.load(path: path, registry: registry, environment: environment)
        } catch {
            logger.error("config reload failed: cannot read the file; the running config stays", metadata: [
                "relay.config": .string(path), "relay.error": .string("\(error)"),
            ])
            return false
        }
        // A hostile file can hold hundreds of thousands of errors: the log gets the first few and a count.
        for diagnostic in loaded.diagnostics.prefix(Self.loggedDiagnostics) {
            let text = diagnostic.line(in: loaded.source)
            if diagnostic.severity == .error {
                logger.error("config diagnostic", metadata: ["relay.diagnostic": .string(text)])
            } else {
                logger.warning("config diagnostic", metadata: ["relay.diagnostic": .string(text)])
            }
        }
        if loaded.diagnostics.count > Self.loggedDiagnostics {
            logger.error(
                "config diagnostics not logged", metadata: ["relay.count": "\(loaded.diagnostics.count - Self.loggedDiagnostics)"])
        }
        guard var new = loaded.plan else {
            logger.error("config reload failed; the running config stays", metadata: [
                "relay.config": .string(path),
                "relay.errors": "\(loaded.diagnostics.filter { $0.severity == .error }.count)",
            ])
            return false
        }
        for key in new.keepRestartOnlySettings(of: old) {
            logger.warning("config reload: a change needs a restart and is ignored until then", metadata: ["relay.setting": .string(key)])
        }

        let oldSinks = Dictionary(uniqueKeysWithValues: old.sinks.map { ($0.name, $0) })
        let unchanged = Set(new.sinks.filter { oldSinks[$0.name].map($0.isSame) ?? false }.map(\.name))
        let toBuild = new.sinks.filter { !unchanged.contains($0.name) }
        new.addSecrets(to: redactor)
        let built: SinkSet
        do {
            built = try await SinkSet.build(
                toBuild, logger: logger, metrics: metrics.factory, clock: clock, redactor: redactor)
        } catch {
            logger.error("config reload failed: a sink cannot start; the running config stays", metadata: [
                "relay.error": .string("\(error)"),
            ])
            return false
        }
        if let tls, let files = new.tls {
            do {
                try tls.reload(certificatePath: files.certificatePath, keyPath: files.keyPath)
            } catch {
                await built.close(logger: logger)
                logger.error("config reload failed; the running config stays", metadata: ["relay.error": .string(error.description)])
                return false
            }
        }
        settings.replace(with: IngestSettings(plan: new, clock: clock))
        let retiring = old.sinks.map(\.name).filter { !unchanged.contains($0) }
        let retired = await dispatcher.retire(retiring, within: old.drainTimeout)
        await SinkSet(sinks: retired).close(logger: logger)
        let policies = Dictionary(uniqueKeysWithValues: new.sinks.map { ($0.name, $0.delivery) })
        dispatcher.start(built.sinks.map { ($0.name, $0.sink, policies[$0.name]!) })
        if !levelFromFlag, new.log.level != old.log.level, let level = Logger.Level(rawValue: new.log.level) {
            RelayLogging.level.withLock { $0 = level }
        }
        await deadLetterOrphans(keeping: Set(new.sinks.map(\.name)))
        logger.notice("config reloaded", metadata: [
            "relay.config": .string(path), "relay.routes": "\(new.routes.routes.count)",
            "relay.sinks.unchanged": .string(unchanged.sorted().joined(separator: ",")),
            "relay.sinks.started": .string(built.sinks.map(\.name).joined(separator: ",")),
            "relay.sinks.stopped": .string(retiring.filter { name in !new.sinks.contains { $0.name == name } }.joined(separator: ",")),
        ])
        return true
    }
}

extension SinkPlan {
    /// Whether `other` declares the same sink: kind, options and delivery policy.
    func isSame(_ other: SinkPlan) -> Bool {
        kind.kind == other.kind.kind && configuration.options == other.configuration.options && delivery == other.delivery
    }
}

/// Prunes delivered events past the retention period, at start and then hourly.
struct SpoolMaintenance: Service {
    let runtime: RelayRuntime

    func run() async throws {
        let logger = runtime.logger
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let retention = runtime.plan.spool.retention
                let pruned = try await runtime.spool.prune(receivedBefore: runtime.clock.now().addingTimeInterval(-retention.seconds))
                if pruned > 0 { logger.info("pruned delivered events past retention", metadata: ["relay.count": "\(pruned)"]) }
            } catch {
                logger.error("spool prune failed", metadata: ["relay.error": .string(error.description)])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}

/// Refreshes the spool gauges at start and every few seconds: their cost is one query per interval, whatever the
/// scrape rate.
struct SpoolGauges: Service {
    static let interval = Duration.seconds(5)
    let runtime: RelayRuntime

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await runtime.refreshSpoolGauges()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
    }
}

/// On SIGHUP: reloads the config, then asks every sink to reopen its paths (for an external logrotate).
struct HangupService: Service {
    let runtime: RelayRuntime

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                runtime.logger.info("SIGHUP: reloading the config and reopening sink files")
                await runtime.reload()
                await runtime.reopenSinks()
            }
        }
    }
}

extension Diagnostic {
    /// The diagnostic as one `FILE:LINE:COL: severity: message (suggestion: …)` line, for logs.
    func line(in source: SourceFile) -> String {
        "\(source.path):\(description)" + (suggestion.map { " (suggestion: \($0))" } ?? "")
    }
}
