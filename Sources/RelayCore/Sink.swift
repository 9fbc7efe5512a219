import CoreMetrics
import EngageEvents
import Foundation
import Logging

/// A destination for events, such as a file or an HTTP endpoint.
///
/// A sink kind is registered under a lowercase noun (``kind``) and declares its ``options`` as data. The engine builds
/// one instance per `sink NAME KIND { ... }` block from validated options, hands it batches of events, and owns
/// retries, backoff and concurrency: a sink never sleeps or retries on its own.
public protocol Sink: Sendable {
    /// The lowercase noun that names this kind in a config (`file`, `http`, …).
    static var kind: String { get }
    /// One line describing the kind, for `engage-relay sinks` and the docs.
    static var summary: String { get }
    /// The options a `sink` block of this kind accepts (the engine's own `retry`, `max-age`, `max-in-flight` and
    /// `batch` keys are added to every kind).
    static var options: [SinkOption] { get }
    /// How many events the engine hands over at once unless the config says `batch N`.
    static var defaultBatchSize: Int { get }
    /// How many batches may be in flight at once unless the config says `max-in-flight N`.
    static var defaultMaxInFlight: Int { get }

    /// Builds the sink from validated options; may do I/O (open files, connect) and throw a clear error.
    init(configuration: SinkConfiguration, context: SinkContext) throws

    /// Delivers a batch; returns one outcome per event, in batch order. Throwing means "retry the whole batch".
    func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome]

    /// Reopens what the sink holds open by path, after an external rotation (logrotate); the server calls it on
    /// SIGHUP for every running sink. Must not interrupt a batch in progress.
    func reopen() async throws

    /// Flushes and releases resources; called once on shutdown.
    func close() async throws

    /// Whether delivering reads ``EngageEvent/payload`` (rather than only the envelope fields and the exact body).
    /// The engine then parses an accepted event's payload while the request that brought it is answered, in
    /// parallel with other requests, instead of in this sink's worker.
    var readsPayload: Bool { get }
}

extension Sink {
    /// Nothing to reopen by default.
    public func reopen() async throws {}
    /// Nothing to release by default.
    public func close() async throws {}
    /// One event at a time by default.
    public static var defaultBatchSize: Int { 1 }
    /// One batch at a time by default (keeps receipt order).
    public static var defaultMaxInFlight: Int { 1 }
    /// Assumed to read the payload unless the kind says otherwise.
    public var readsPayload: Bool { true }
}

/// What became of one event handed to a sink.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The event is safely at its destination.
    case delivered
    /// Try again later, after `after` when the destination said so.
    case retry(reason: String, after: Duration? = nil)
    /// The destination refused the event for good; it becomes a dead letter.
    case failed(reason: String)
}

/// The name and validated options of one `sink` block.
public struct SinkConfiguration: Sendable {
    /// The instance name from the config (`sink NAME KIND`).
    public var name: String
    /// The validated options, defaults applied.
    public var options: SinkOptions

    /// Creates a configuration.
    public init(name: String, options: SinkOptions) {
        self.name = name
        self.options = options
    }
}

/// What a sink receives from the engine besides its options.
public struct SinkContext: Sendable {
    /// A logger with `relay.sink` set; never log bodies or secrets.
    public var logger: Logger
    /// The factory for the sink's own metrics (`Counter(label:dimensions:factory:)` and friends). The engine already
    /// counts deliveries, retries, dead letters and latency per sink; use this for what only the sink knows.
    public var metrics: any MetricsFactory
    /// The engine's clock; read the time through it so tests can fix it.
    public var clock: RelayClock
    /// The secret values of the running config, shared with the engine: ``SecretRedactor/add(_:)`` the secrets the
    /// sink resolves itself, and ``SecretRedactor/redact(_:cutAtStart:)`` text the sink does not control (a
    /// command's output) before it goes into a reason or a log. The engine scrubs every reason again.
    public var redactor: SecretRedactor

    /// Creates a context; metrics go nowhere, time is the wall clock and no secret is known unless given.
    public init(
        logger: Logger, metrics: any MetricsFactory = NOOPMetricsHandler.instance, clock: RelayClock = .system,
        redactor: SecretRedactor = SecretRedactor()
    ) {
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
        self.redactor = redactor
    }
}

/// A sink could not be built or used; the message says what to do.
public struct SinkError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and how to fix it.
    public var message: String

    /// Creates an error with a message.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
