import Foundation

/// Who claims and for how long: the claimant's instance id and the lease length.
public struct LeaseTerms: Sendable, Hashable {
    /// The claimant (one receiver process, or one command), for inspection; never used to decide ownership.
    public var owner: String
    /// How long a claim holds its deliveries unless renewed.
    public var duration: Duration
    /// Whether the claim must keep receipt order across every claimant of the spool (a sink with `max-in-flight 1`):
    /// it then takes nothing while any delivery of the sink is held under a live lease, by anyone.
    public var inOrder: Bool

    /// Creates terms.
    public init(owner: String, duration: Duration, inOrder: Bool = false) {
        self.owner = owner
        self.duration = duration
        self.inOrder = inOrder
    }

    /// A fresh owner id for this process: host, process id and a random suffix.
    public static func instanceID() -> String {
        let host = ProcessInfo.processInfo.hostName
        return "\(host):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// One claim's hold on its deliveries: a token unique to the claim and when it runs out.
public struct DeliveryLease: Sendable, Hashable {
    /// Unique per claim; results must carry it to be recorded.
    public var token: String
    /// Who claimed.
    public var owner: String
    /// When the deliveries become due again unless renewed or completed.
    public var expiresAt: Date

    /// Creates a lease.
    public init(token: String, owner: String, expiresAt: Date) {
        self.token = token
        self.owner = owner
        self.expiresAt = expiresAt
    }

    /// The error recorded for an attempt whose lease ran out before its outcome was recorded.
    public static let expiredNote =
        "the lease expired before the attempt's outcome was recorded (a crash, a stuck sink or a spool error)"

    /// A new lease with a random token for `terms`, starting `now`.
    public static func new(_ terms: LeaseTerms, now: Date) -> DeliveryLease {
        DeliveryLease(
            token: UUID().uuidString.lowercased(), owner: terms.owner,
            expiresAt: now.addingTimeInterval(terms.duration.seconds))
    }
}

/// A delivery the dispatcher claimed, with what it needs to rebuild the event and the lease that holds it.
public struct ClaimedDelivery: Sendable {
    /// The spool's key of the event (receipt order).
    public var eventKey: Int64
    /// The sink.
    public var sink: String
    /// Attempts made before this one.
    public var attempts: Int
    /// The webhook message id.
    public var messageId: String
    /// When the event was received.
    public var receivedAt: Date
    /// The body exactly as received.
    public var body: [UInt8]
    /// The claim's lease.
    public var lease: DeliveryLease

    /// Creates a claimed delivery.
    public init(
        eventKey: Int64, sink: String, attempts: Int, messageId: String, receivedAt: Date, body: [UInt8],
        lease: DeliveryLease
    ) {
        self.eventKey = eventKey
        self.sink = sink
        self.attempts = attempts
        self.messageId = messageId
        self.receivedAt = receivedAt
        self.body = body
        self.lease = lease
    }
}

/// The recorded outcome of one attempt.
public struct DeliveryResult: Sendable, Equatable {
    /// What to record.
    public enum Kind: Sendable, Equatable {
        /// Delivered; done.
        case delivered
        /// Try again at the date (attempts grows by one).
        case retry(at: Date)
        /// Give up: a dead letter (attempts grows by one).
        case failed
    }

    /// The event's spool key.
    public var eventKey: Int64
    /// The sink.
    public var sink: String
    /// The token of the lease the attempt was made under.
    public var leaseToken: String
    /// The outcome.
    public var kind: Kind
    /// The error text for retries and dead letters (bounded, no body).
    public var error: String?
    /// When the attempt finished.
    public var at: Date

    /// Creates a result.
    public init(eventKey: Int64, sink: String, leaseToken: String, kind: Kind, error: String? = nil, at: Date) {
        self.eventKey = eventKey
        self.sink = sink
        self.leaseToken = leaseToken
        self.kind = kind
        self.error = error
        self.at = at
    }

    /// The result of an attempt at `delivery`, under its lease.
    public init(_ delivery: ClaimedDelivery, _ kind: Kind, error: String? = nil, at: Date) {
        self.init(
            eventKey: delivery.eventKey, sink: delivery.sink, leaseToken: delivery.lease.token, kind: kind,
            error: error, at: at)
    }
}

/// What ``Spool/complete(_:)`` did: results recorded, and late ones ignored because their lease no longer held.
public struct CompletionReport: Sendable, Equatable {
    /// Results recorded.
    public var recorded: Int
    /// Results ignored: the delivery was claimed again, replayed or dead-lettered after its lease ran out.
    public var ignored: Int

    /// Creates a report.
    public init(recorded: Int, ignored: Int) {
        self.recorded = recorded
        self.ignored = ignored
    }
}
