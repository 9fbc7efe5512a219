import EngageEvents
import HTTPTypes
import RelayCore
import RelayPlanning
import Synchronization
import WebhookVerification

/// What the ingest path and the dispatcher take from a plan: path, limits, verification layers, routes and the
/// payload decoder. A reload replaces this one value, so every request runs with one config from its first check to
/// its answer, and the dispatcher decodes with the same key.
public struct IngestSettings: Sendable {
    /// The plan these settings come from.
    public let plan: RelayPlan
    /// The clock receipts are stamped with (the verifier reads the same one).
    public let clock: RelayClock
    let path: String
    let maxBody: Int
    let verifier: SignatureVerifier
    let routes: RouteTable
    let unrouted: UnroutedPolicy
    /// Decodes (and decrypts) bodies at ingest and, for the dispatcher, from the spool.
    public let decoder: EventDecoder
    let sourcePolicy: SourcePolicy
    let headerTokens: [(name: HTTPField.Name, token: HeaderToken)]
    let rateLimiter: RateLimiter?

    /// The settings of a validated plan, reading the time from `clock`.
    public init(plan: RelayPlan, clock: RelayClock = .system) {
        self.plan = plan
        self.clock = clock
        let verifier = plan.verification.makeVerifier(clock: clock)
        self.path = plan.path
        self.maxBody = Int(plan.maxBody)
        self.verifier = verifier
        self.routes = plan.routes
        self.unrouted = plan.unrouted
        self.decoder = plan.verification.decoder
        self.sourcePolicy = plan.verification.sourcePolicy
        // Names were validated at load (letters, digits, `-`, `_`), so every one is a valid field name.
        self.headerTokens = plan.verification.headerTokens.compactMap { entry in
            HTTPField.Name(entry.token.name).map { ($0, entry.token) }
        }
        self.rateLimiter = plan.verification.rateLimit?.makeLimiter()
    }
}

/// The ingest settings in force, replaced atomically by a reload.
public final class LiveIngestSettings: Sendable {
    private let value: Mutex<IngestSettings>

    /// Starts with `settings`.
    public init(_ settings: IngestSettings) { value = Mutex(settings) }

    /// The settings in force now.
    public var current: IngestSettings { value.withLock { $0 } }

    /// Puts `settings` in force for every request that starts from now on.
    public func replace(with settings: IngestSettings) { value.withLock { $0 = settings } }
}

/// The operator endpoints besides ingest: readiness checks and the metrics text.
public struct OperationsEndpoints: Sendable {
    /// The checks that fail now (empty: ready), e.g. `spool` or `draining`.
    public var failingReadinessChecks: @Sendable () async -> [String]
    /// The Prometheus text exposition, or nil when metrics are not served on this listener.
    public var metricsText: (@Sendable () async -> [UInt8])?

    /// Creates endpoints.
    public init(
        failingReadinessChecks: @escaping @Sendable () async -> [String] = { [] },
        metricsText: (@Sendable () async -> [UInt8])? = nil
    ) {
        self.failingReadinessChecks = failingReadinessChecks
        self.metricsText = metricsText
    }
}
