import EngageEvents
import RelayConfig
import RelayCore
import WebhookVerification

/// A validated configuration: everything `serve` needs, and nothing that failed a check.
///
/// Only ``validate(_:registry:environment:)`` makes one, so a running receiver never sees an unchecked config.
public struct RelayPlan: Sendable {
    /// The config file the plan was built from.
    public let source: SourceFile
    /// The address to listen on.
    public internal(set) var listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8080)
    /// HTTPS on the main listener, when configured.
    public internal(set) var tls: TLSPlan?
    /// The operations listener, for `/metrics`, `/healthz` and `/readyz` (never served on `listen`). Loopback by
    /// default: ``defaultOperationsPort``, or any free port when `listen` takes any free port.
    public internal(set) var metricsListen = ListenAddress(host: "127.0.0.1", port: RelayPlan.defaultOperationsPort)
    /// The default port of the operations listener.
    public static let defaultOperationsPort = 8081
    /// Log level and format (command-line flags override them).
    public internal(set) var log = LogSettings()
    /// The ingest path.
    public internal(set) var path: String = "/webhooks/engage"
    /// The largest body accepted, in bytes.
    public internal(set) var maxBody: Int64 = 1 << 20
    /// Protections against slow and numerous clients.
    public internal(set) var limits = ConnectionLimits()
    /// How long a shutdown waits for running batches, and a reload for the batches of the sinks it replaces, before
    /// giving up on them (their deliveries are made again once their lease runs out).
    public internal(set) var drainTimeout: Duration = .seconds(30)
    /// How deliveries are authenticated.
    public internal(set) var verification = VerificationPlan()
    /// Where events are stored before delivery.
    public internal(set) var spool = SpoolPlan()
    /// What to do with an event that matches no route.
    public internal(set) var unrouted = UnroutedPolicy.keep
    /// The declared sinks, in config order.
    public internal(set) var sinks: [SinkPlan] = []
    /// The routes.
    public internal(set) var routes = RouteTable([])
    /// Warnings found while validating (errors prevent a plan).
    public internal(set) var warnings: [Diagnostic] = []
    /// Which secrets validation read; only a plan with ``SecretResolution/all`` can run a receiver.
    public let secretResolution: SecretResolution
    /// The `env:`/`file:` references validation checked but did not read (none with ``SecretResolution/all``), with
    /// the key each belongs to (`secret`, `decrypt`, `header X-Engage-Token`, `sink NAME OPTION`).
    public internal(set) var unreadSecrets: [(key: String, source: SecretSource)] = []
    /// The secret values validation read (`verify`'s and sinks' `secret` options); kept only to be scrubbed.
    var secretValues: [String] = []

    init(source: SourceFile, secretResolution: SecretResolution) {
        self.source = source
        self.secretResolution = secretResolution
    }

    /// Adds the secret values this plan read (verification secrets, header tokens, the payload key, sinks' `secret`
    /// options) to `redactor`, which scrubs them from what sinks report; sinks add the secrets they resolve themselves.
    public func addSecrets(to redactor: SecretRedactor) { redactor.add(secretValues) }

    /// Validates a parsed config against the registry's sink kinds, resolving the `env:`/`file:` secrets that
    /// `secrets` says (all of them by default, which `serve` needs).
    ///
    /// Returns the plan when there are no errors, and every diagnostic found (errors and warnings) either way.
    public static func validate(
        _ document: ConfigDocument, registry: SinkRegistry, environment: [String: String],
        secrets: SecretResolution = .all
    ) -> (plan: RelayPlan?, diagnostics: [Diagnostic]) {
        let built = build(document, registry: registry, environment: environment, secrets: secrets)
        return (built.plan, built.diagnostics)
    }

    /// ``validate(_:registry:environment:secrets:)``, with where the file holds secret text.
    static func build(
        _ document: ConfigDocument, registry: SinkRegistry, environment: [String: String], secrets: SecretResolution
    ) -> (plan: RelayPlan?, diagnostics: [Diagnostic], sensitiveRanges: [SourceRange]) {
        var builder = PlanBuilder(document: document, registry: registry, environment: environment, secrets: secrets)
        builder.build()
        let diagnostics = builder.diagnostics.sorted { $0.range.start < $1.range.start }
        guard !diagnostics.contains(where: { $0.severity == .error }) else {
            return (nil, diagnostics, builder.sensitiveRanges)
        }
        var plan = builder.plan
        plan.warnings = diagnostics
        return (plan, diagnostics, builder.sensitiveRanges)
    }

    /// Reads, parses and validates a config file; syntax errors and semantic errors are reported together.
    ///
    /// The source returned is the file with its secret text (literal secrets, `header` and `env` values that are not
    /// a whole `env:`/`file:` reference, URLs with credentials) masked by `*`, for printing diagnostics.
    public static func load(
        path: String, registry: SinkRegistry, environment: [String: String], secrets: SecretResolution = .all
    ) throws -> (source: SourceFile, plan: RelayPlan?, diagnostics: [Diagnostic]) {
        let source = try SourceFile.load(path: path)
        let parsed = ConfigParser.parse(source)
        let (plan, diagnostics, sensitive) = build(
            parsed.document, registry: registry, environment: environment, secrets: secrets)
        let all = (parsed.diagnostics + diagnostics).sorted { $0.range.start < $1.range.start }
        return (source.masking(sensitive), parsed.diagnostics.isEmpty ? plan : nil, all)
    }
}

/// Which `env:`/`file:` secrets validating a config reads. Literal secrets are in the file itself, so they are
/// always checked in full; a reference that is not read is still checked for its form (``SecretSource/validate()``).
public enum SecretResolution: Sendable, Hashable {
    /// Read every secret and check its value (`serve`, and `check` by default).
    case all
    /// Read only what opening the spool and routing a stored event need: `spool { url }` and `verify { decrypt }`
    /// (the commands that inspect and replay the spool).
    case spoolAndPayloadKey
    /// Read only `spool { url }`, which opening the spool needs (the commands that list and show what it holds).
    case spoolOnly
    /// Read no secret (`check --no-resolve-secrets`).
    case none

    /// Whether a secret of the `verify` key `key` (or, with `nil`, of a sink option) is read.
    func reads(verifyKey key: String?) -> Bool {
        switch self {
        case .all: true
        case .spoolAndPayloadKey: key == "decrypt" || key == "spool url"
        case .spoolOnly: key == "spool url"
        case .none: false
        }
    }
}

/// The `tls` block: PEM files of the listener's certificate chain and private key.
public struct TLSPlan: Sendable, Hashable {
    /// The certificate chain, leaf first.
    public var certificatePath: String
    /// The private key.
    public var keyPath: String
}

/// `log-level` and `log-format`.
public struct LogSettings: Sendable, Hashable {
    /// The accepted levels, most verbose first.
    public static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    /// The accepted formats.
    public static let formats = ["text", "json"]
    /// The least severe level logged.
    public var level = "info"
    /// `text` (one human line per message) or `json` (one object per line).
    public var format = "text"
}

/// A host and port to listen on.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host or address.
    public var host: String
    /// The TCP port (0 = any free port).
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with brackets around IPv6 hosts.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The `verify` block, validated: secrets decoded, tolerance set.
public struct VerificationPlan: Sendable {
    /// The HMAC secrets with where each came from (for display; never the value).
    public internal(set) var secrets: [(source: SecretSource, secret: WebhookSecret)] = []
    /// The Ed25519 public keys with where each came from.
    public internal(set) var publicKeys: [(source: SecretSource, key: WebhookPublicKey)] = []
    /// How far a timestamp may be from now, both ways.
    public internal(set) var tolerance: Duration = .seconds(SignatureVerifier.defaultTolerance)
    /// Source addresses allowed (empty: any), as written and as ranges.
    public internal(set) var allow: [(text: String, ranges: [IPAddressRange])] = []
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed.
    public internal(set) var trustedProxies: [IPAddressRange] = []
    /// Required header tokens (each line: one header, several accepted values for rotation).
    public internal(set) var headerTokens: [(token: HeaderToken, sources: [SecretSource])] = []
    /// The payload decryption key, when configured.
    public internal(set) var decryption: (source: SecretSource, decryptor: PayloadDecryptor)?
    /// The rate limit, when configured.
    public internal(set) var rateLimit: RateLimitPlan?

    /// The source policy for these settings.
    public var sourcePolicy: SourcePolicy {
        SourcePolicy(allow: allow.flatMap(\.ranges), trustedProxies: trustedProxies)
    }

    /// The decoder that turns bodies into events with these settings (decrypting when a key is configured).
    public var decoder: EventDecoder { EventDecoder(decryptor: decryption.map { PayloadKey(decryptor: $0.decryptor) }) }

    /// A verifier for these settings.
    public func makeVerifier(clock: RelayClock = .system) -> SignatureVerifier {
        SignatureVerifier(
            secrets: secrets.map(\.secret), publicKeys: publicKeys.map(\.key),
            toleranceSeconds: tolerance.components.seconds, clock: clock)
    }
}

/// The `spool` block, validated.
public struct SpoolPlan: Sendable, Hashable {
    /// The spool kind, a name in the ``SpoolRegistry``: `sqlite`, the embedded default, or `postgres` with ``url``.
    public internal(set) var kind = "sqlite"
    /// Where `url` was read from (`env:`, `file:` or the literal), for messages that must not show it.
    public internal(set) var urlSource: SecretSource?
    /// The PostgreSQL server and database (secret: it may hold a password); nil for SQLite, or when not read.
    public internal(set) var url: PostgresURL?
    /// The most connections to PostgreSQL this receiver opens.
    public internal(set) var connections = 10
    /// The database file (relative paths are relative to the working directory).
    public internal(set) var path = "./data/spool.db"
    /// How long delivered events are kept; also the duplicate-detection window.
    public internal(set) var retention: Duration = .seconds(7 * 86_400)
    /// `grouped` (one commit for many concurrent requests) or `per-request`.
    public internal(set) var commit = "grouped"
    /// How many requests may wait for a commit before ingest answers 503.
    public internal(set) var maxQueue = 10_000
    /// The largest the spool file may grow, in bytes (`nil`: no cap but the disk).
    public internal(set) var maxSize: Int64?
    /// How long a claim holds its deliveries unless renewed; an attempt whose outcome was never recorded (a crash,
    /// a stuck sink) is tried again after it.
    public internal(set) var lease: Duration = .seconds(30)

    /// The default spool: SQLite at `./data/spool.db`.
    public init() {}

    /// An SQLite spool at `path` with default settings (the `--spool` option of the inspection commands).
    public static func sqlite(path: String) -> SpoolPlan {
        var plan = SpoolPlan()
        plan.path = path
        return plan
    }
}

/// What happens to an authentic event that matches no route.
public enum UnroutedPolicy: String, Sendable, Hashable, CaseIterable {
    /// Store it (visible, replayable once a route exists) and answer 204.
    case keep
    /// Answer 204 and store nothing.
    case drop
    /// Answer 422 so the sender sees the refusal; nothing is stored.
    case reject
}

/// `rate-limit N/s burst M [per-source N/s burst M]`.
public struct RateLimitPlan: Sendable, Hashable {
    /// Requests per second for all sources together.
    public var rate: Double
    /// The global bucket size.
    public var burst: Int
    /// Requests per second for one source address.
    public var perSourceRate: Double?
    /// One source's bucket size.
    public var perSourceBurst: Int?

    /// Creates a rate-limit setting.
    public init(rate: Double, burst: Int, perSourceRate: Double? = nil, perSourceBurst: Int? = nil) {
        self.rate = rate
        self.burst = burst
        self.perSourceRate = perSourceRate
        self.perSourceBurst = perSourceBurst
    }

    /// A limiter for these settings.
    public func makeLimiter() -> RateLimiter {
        RateLimiter(ratePerSecond: rate, burst: burst, perSourceRatePerSecond: perSourceRate, perSourceBurst: perSourceBurst)
    }
}

/// Read timeouts and the connection cap.
public struct ConnectionLimits: Sendable, Hashable {
    /// How long a client may take to send a request head (also the keep-alive idle limit).
    public internal(set) var headerTimeout: Duration = .seconds(10)
    /// How long a client may take to send a body once the head is in.
    public internal(set) var bodyTimeout: Duration = .seconds(30)
    /// Connections served at once; more wait in the accept queue.
    public internal(set) var maxConnections = 1024
    /// The bytes of request bodies held in memory at once, across every connection.
    public internal(set) var maxBuffered: Int64 = 64 << 20
}
