import EngageEvents
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayCore
import RelayPlanning
import WebhookVerification

/// Answers every request on the ingest listener: the ingest path and a constant `/healthz`; anything else is 404
/// (`/metrics` and `/readyz` live on the operations listener).
///
/// The ingest path runs, in order: size cap, source, rate, token, signature, envelope decode, routing, intake; only
/// then `204`. An authentic body that cannot be decoded is stored as undeliverable and answered `204` too: the sender
/// could only send the same bytes again.
public struct IngestResponder: HTTPResponder {
    /// The request context.
    public typealias Context = IngestContext

    let settings: LiveIngestSettings
    let intake: any EventIntake
    let drain: DrainState
    let metrics: RelayMetrics
    let logger: Logger
    let refusals: LogThrottle
    let bodies: BodyBudget

    /// Creates a responder over live settings and an intake; refusals are logged through `refusals`.
    public init(
        settings: LiveIngestSettings, intake: any EventIntake, drain: DrainState = DrainState(),
        metrics: RelayMetrics = .none, refusals: LogThrottle = LogThrottle(),
        bodies: BodyBudget = BodyBudget(limit: 64 << 20), logger: Logger
    ) {
        self.bodies = bodies
        self.settings = settings
        self.intake = intake
        self.drain = drain
        self.metrics = metrics
        self.refusals = refusals
        self.logger = logger
    }

    /// Creates a responder for a validated plan and an intake (settings fixed).
    public init(
        plan: RelayPlan, clock: RelayClock = .system, intake: any EventIntake, drain: DrainState = DrainState(),
        logger: Logger
    ) {
        self.init(
            settings: LiveIngestSettings(IngestSettings(plan: plan, clock: clock)), intake: intake, drain: drain,
            logger: logger)
    }

    /// Routes a request by path and method.
    public func respond(to request: Request, context: IngestContext) async throws -> Response {
        let requestPath = request.uri.path
        let settings = settings.current
        if requestPath == settings.path {
            guard request.method == .post else { return Self.response(for: .methodNotAllowed, allow: "POST") }
            let started = ContinuousClock.now
            let (response, outcome) = await ingest(request, context: context, settings: settings)
            metrics.request(outcome: outcome)
            metrics.ingestDuration(ContinuousClock.now - started)
            return response
        }
        guard requestPath == "/healthz" else { return Self.response(for: .notFound) }
        guard request.method == .get || request.method == .head else {
            return Self.response(for: .methodNotAllowed, allow: "GET, HEAD")
        }
        return Self.json(.ok, #"{"status":"ok"}"#)
    }

    /// Runs the ingest checks and intake; returns the answer and the outcome label for metrics.
    func ingest(_ request: Request, context: IngestContext, settings: IngestSettings) async -> (Response, String) {
        var source = context.sourceText
        do {
            let client = try admit(request, context: context, settings: settings)
            source = client?.description ?? source
        } catch {
            let refusal = error as? Refusal ?? Refusal(.internalServerError, "internal")
            refusals.log(
                logger, .notice, "delivery refused",
                metadata: ["relay.reason": .string(refusal.code), "relay.source": .string(source)])
            // Closing with an unread body makes the peer's TCP stack reset the connection before the client
            // reads the answer; reading (at most `max-body`) and discarding it lets the refusal arrive.
            if refusal != .bodyTooLarge { try? await discardBody(request, maxBody: settings.maxBody) }
            var response = Self.response(for: refusal)
            // Keep-alive clients would otherwise hold their connections open and delay the drain to its deadline.
            if refusal == .shuttingDown { response.headers[.connection] = "close" }
            return (response, refusal.code)
        }
        do {
            return try await store(request, settings: settings)
        } catch {
            let refusal = error as? Refusal ?? Refusal(.internalServerError, "internal")
            refusals.log(
                logger, .notice, "delivery refused",
                metadata: ["relay.reason": .string(refusal.code), "relay.source": .string(source)])
            return (Self.response(for: refusal), refusal.code)
        }
    }

    /// The checks that need no body, cheapest first: size, source address, rate, header token.
    /// Returns the client address (after trusted proxies) when the peer's address is known.
    func admit(_ request: Request, context: IngestContext, settings: IngestSettings) throws -> IPAddress? {
        if drain.isDraining { throw Refusal.shuttingDown }
        let sourcePolicy = settings.sourcePolicy
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > settings.maxBody {
            throw Refusal.bodyTooLarge
        }
        let peer = context.remoteAddress?.ipAddress.flatMap(IPAddress.init)
        let client = peer.map {
            sourcePolicy.clientAddress(
                peer: $0, forwardedFor: request.headers[values: .xForwardedFor].joined(separator: ","),
                forwarded: request.headers[values: .forwarded].joined(separator: ","))
        }
        if !sourcePolicy.allow.isEmpty {
            guard let client, sourcePolicy.allows(client) else { throw Refusal.sourceNotAllowed }
        }
        if let rateLimiter = settings.rateLimiter, case .limited(let seconds) = rateLimiter.admitSource(client) {
            throw Refusal(.tooManyRequests, "rate_limited", retryAfterSeconds: Int64(seconds))
        }
        for (name, token) in settings.headerTokens {
            guard token.accepts(request.headers[name]) else { throw Refusal.tokenMismatch }
        }
        return client
    }

    func store(_ request: Request, settings: IngestSettings) async throws -> (Response, String) {
        let body = try await readBody(request, maxBody: settings.maxBody)
        let headers = WebhookHeaders(fields: request.headers.lazy.map { (name: $0.name.canonicalName, value: $0.value) })
        let delivery: VerifiedDelivery
        do {
            delivery = try settings.verifier.verify(headers: headers, body: body)
        } catch {
            throw Refusal.verification(error)
        }
        // The global budget belongs to authentic senders: unsigned floods are refused above without spending it.
        if let rateLimiter = settings.rateLimiter, case .limited(let seconds) = rateLimiter.admitAuthentic() {
            throw Refusal(.tooManyRequests, "rate_limited", retryAfterSeconds: Int64(seconds))
        }
        let receivedAt = settings.clock.now()
        let event: EngageEvent
        do {
            event = try settings.decoder.decode(delivery.body, messageId: delivery.messageId, receivedAt: receivedAt)
        } catch {
            return try await keepUndeliverable(delivery, receivedAt: receivedAt, reason: error)
        }
        let sinks = settings.routes.match(event)
        var eventLogger = logger
        eventLogger[metadataKey: "relay.event.id"] = .string(event.id)
        eventLogger[metadataKey: "relay.event.type"] = .string(event.type.rawValue)
        if sinks.isEmpty {
            switch settings.unrouted {
            case .drop:
                eventLogger.debug("event matched no route; dropped (unrouted drop)")
                return (Response(status: .noContent), "dropped")
            case .reject:
                throw Refusal.unrouted
            case .keep:
                eventLogger.debug("event matched no route; kept (unrouted keep)")
            }
        }
        let receipt = try await take { try await intake.accept(event, sinks: sinks) }
        if receipt == .duplicate {
            eventLogger.debug("duplicate message id; nothing stored")
            return (Self.json(.ok, #"{"status":"duplicate"}"#), "duplicate")
        }
        metrics.event(type: event.type.rawValue)
        eventLogger.debug("event stored", metadata: ["relay.sinks": .string(sinks.joined(separator: ","))])
        return (Response(status: .noContent), "stored")
    }

    /// Keeps an authentic body that is not a usable Engage envelope (or cannot be decrypted) with its reason, and
    /// answers 2xx once it is stored: Svix would only retry the same bytes for a day and then disable the endpoint.
    /// The operator sees it in `engage_relay_undeliverable_total` and the log, and replays or purges it.
    func keepUndeliverable(
        _ delivery: VerifiedDelivery, receivedAt: Date, reason: UndeliverableReason
    ) async throws -> (Response, String) {
        let receipt = try await take {
            try await intake.keepUndeliverable(
                messageId: delivery.messageId, body: delivery.body, receivedAt: receivedAt, reason: reason)
        }
        let metadata: Logger.Metadata = [
            "relay.message.id": .string(delivery.messageId), "relay.reason": .string(reason.code),
        ]
        if receipt == .duplicate {
            logger.debug("duplicate message id; nothing stored", metadata: metadata)
            return (Self.json(.ok, #"{"status":"duplicate"}"#), "duplicate")
        }
        metrics.undeliverable(reason: reason.code)
        logger.warning("authentic delivery cannot be decoded; stored as undeliverable", metadata: metadata)
        return (Response(status: .noContent), "undeliverable")
    }

    /// Runs an intake call, turning its failure into 503 with `Retry-After`.
    func take(_ call: () async throws -> IntakeReceipt) async throws -> IntakeReceipt {
        do {
            return try await call()
        } catch {
            let intakeError = error as? IntakeError ?? IntakeError("\(error)")
            logger.warning("event not stored", metadata: ["relay.error": .string(intakeError.message)])
            throw Refusal(.serviceUnavailable, "unavailable", retryAfterSeconds: intakeError.retryAfter.components.seconds)
        }
    }

    /// Reads and drops a refused request's body, up to the size cap.
    func discardBody(_ request: Request, maxBody: Int) async throws {
        var seen = 0
        for try await chunk in request.body {
            seen += chunk.readableBytes
            if seen > maxBody { return }
        }
    }

    /// Reads the body, refusing as soon as it grows past the cap (nothing beyond it is buffered) or the memory
    /// budget of all bodies being read has no room for the next chunk.
    func readBody(_ request: Request, maxBody: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        var reserved = 0
        defer { bodies.release(reserved) }
        for try await chunk in request.body {
            guard bytes.count + chunk.readableBytes <= maxBody else { throw Refusal.bodyTooLarge }
            guard bodies.reserve(chunk.readableBytes) else { throw Refusal.busy }
            reserved += chunk.readableBytes
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }

    static func response(for refusal: Refusal, allow: String? = nil) -> Response {
        var response = json(refusal.status, #"{"error":"\#(refusal.code)"}"#)
        if let allow { response.headers[.allow] = allow }
        if let seconds = refusal.retryAfterSeconds { response.headers[.retryAfter] = String(max(1, seconds)) }
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

extension IngestContext {
    /// The peer address for logs (`-` when unknown).
    var sourceText: String { remoteAddress?.ipAddress ?? "-" }
}
