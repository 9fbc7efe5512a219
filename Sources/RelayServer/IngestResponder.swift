import EngageEvents
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayCore
import WebhookVerification

/// Answers every HTTP request: the ingest path, `/healthz`, and precise errors for everything else.
///
/// The ingest path runs, in order: size cap, signature, envelope decode, routing, intake; only then `204`.
public struct IngestResponder: HTTPResponder {
    /// The request context.
    public typealias Context = IngestContext

    let path: String
    let maxBody: Int
    let verifier: SignatureVerifier
    let routes: RouteTable
    let unrouted: UnroutedPolicy
    let decoder: EventDecoder
    let sourcePolicy: SourcePolicy
    let headerTokens: [(name: HTTPField.Name, token: HeaderToken)]
    let rateLimiter: RateLimiter?
    let intake: any EventIntake
    let drain: DrainState
    let logger: Logger

    /// Creates a responder for a validated plan and an intake.
    public init(
        plan: RelayPlan, verifier: SignatureVerifier, intake: any EventIntake, drain: DrainState = DrainState(),
        logger: Logger
    ) {
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
        self.intake = intake
        self.drain = drain
        self.logger = logger
    }

    /// Routes a request by path and method.
    public func respond(to request: Request, context: IngestContext) async throws -> Response {
        let requestPath = request.uri.path
        if requestPath == path {
            guard request.method == .post else { return Self.response(for: .methodNotAllowed, allow: "POST") }
            var source = context.sourceText
            do {
                let client = try admit(request, context: context)
                source = client?.description ?? source
            } catch let refusal as Refusal {
                logger.notice(
                    "delivery refused", metadata: ["relay.reason": .string(refusal.code), "relay.source": .string(source)])
                // Closing with an unread body makes the peer's TCP stack reset the connection before the client
                // reads the answer; reading (at most `max-body`) and discarding it lets the refusal arrive.
                if refusal != .bodyTooLarge { try? await discardBody(request) }
                return Self.response(for: refusal)
            }
            do {
                return try await ingest(request, context: context)
            } catch let refusal as Refusal {
                logger.notice(
                    "delivery refused", metadata: ["relay.reason": .string(refusal.code), "relay.source": .string(source)])
                return Self.response(for: refusal)
            }
        }
        if requestPath == "/healthz" {
            guard request.method == .get || request.method == .head else {
                return Self.response(for: .methodNotAllowed, allow: "GET, HEAD")
            }
            return Self.json(.ok, #"{"status":"ok"}"#)
        }
        return Self.response(for: .notFound)
    }

    /// The checks that need no body, cheapest first: size, source address, rate, header token.
    /// Returns the client address (after trusted proxies) when the peer's address is known.
    func admit(_ request: Request, context: IngestContext) throws -> IPAddress? {
        if drain.isDraining { throw Refusal.shuttingDown }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBody {
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
        if let rateLimiter, case .limited(let seconds) = rateLimiter.admit(source: client) {
            throw Refusal(.tooManyRequests, "rate_limited", retryAfterSeconds: Int64(seconds))
        }
        for (name, token) in headerTokens {
            guard token.accepts(request.headers[name]) else { throw Refusal.tokenMismatch }
        }
        return client
    }

    func ingest(_ request: Request, context: IngestContext) async throws -> Response {
        let body = try await readBody(request)
        let headers = WebhookHeaders(fields: request.headers.lazy.map { (name: $0.name.canonicalName, value: $0.value) })
        let delivery: VerifiedDelivery
        do {
            delivery = try verifier.verify(headers: headers, body: body)
        } catch {
            throw Refusal.verification(error)
        }
        let receivedAt = Date()
        let event: EngageEvent
        do {
            event = try decoder.decode(delivery.body, messageId: delivery.messageId, receivedAt: receivedAt)
        } catch {
            // Authentic but not an Engage envelope: keep it with the reason (never drop), and tell the sender.
            logger.warning(
                "authentic delivery is not an Engage envelope; stored as undeliverable",
                metadata: ["relay.message.id": .string(delivery.messageId), "relay.reason": .string(error.code)])
            _ = try await take {
                try await intake.keepUndeliverable(
                    messageId: delivery.messageId, body: delivery.body, receivedAt: receivedAt, reason: error)
            }
            throw Refusal.invalidBody
        }
        let sinks = routes.match(event)
        var eventLogger = logger
        eventLogger[metadataKey: "relay.event.id"] = .string(event.id)
        eventLogger[metadataKey: "relay.event.type"] = .string(event.type.rawValue)
        if sinks.isEmpty {
            switch unrouted {
            case .drop:
                eventLogger.debug("event matched no route; dropped (unrouted drop)")
                return Response(status: .noContent)
            case .reject:
                throw Refusal.unrouted
            case .keep:
                eventLogger.debug("event matched no route; kept (unrouted keep)")
            }
        }
        let receipt = try await take { try await intake.accept(event, sinks: sinks) }
        if receipt == .duplicate {
            eventLogger.debug("duplicate message id; nothing stored")
            return Self.json(.ok, #"{"status":"duplicate"}"#)
        }
        eventLogger.debug("event stored", metadata: ["relay.sinks": .string(sinks.joined(separator: ","))])
        return Response(status: .noContent)
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
    func discardBody(_ request: Request) async throws {
        var seen = 0
        for try await chunk in request.body {
            seen += chunk.readableBytes
            if seen > maxBody { return }
        }
    }

    /// Reads the body, refusing as soon as it grows past the cap (nothing beyond it is buffered).
    func readBody(_ request: Request) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in request.body {
            guard bytes.count + chunk.readableBytes <= maxBody else { throw Refusal.bodyTooLarge }
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
