import AsyncHTTPClient
import EngageEvents
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RelayCore

/// Sends each event as one HTTP request to a fixed URL, over one pooled client shared by the whole process.
///
/// The request carries the exact received body (or only the payload JSON with `body payload`) and the headers
/// `Content-Type: application/json`, `Idempotency-Key` (the webhook message id, stable across Svix retries),
/// `Engage-Event-Type`, `Engage-Event-Id` and `Engage-Message-Id`, plus any configured `header` lines.
///
/// Outcomes: 2xx is delivered; 408, 425, 429, 5xx, connection errors and timeouts are retried (honouring
/// `Retry-After`); a 3xx is not followed and fails, naming the `Location`; any other status fails with the start of
/// the response body. Reasons never contain header values.
public final class HTTPSink: Sink {
    /// Registered as `http`.
    public static let kind = "http"
    /// One line for listings.
    public static let summary = "send each event as an HTTP request to a URL"
    /// The request methods the sink sends with.
    enum Method: String, Sendable, CaseIterable {
        case post = "POST", put = "PUT", patch = "PATCH"
    }

    /// What the request body is.
    enum Body: String, Sendable, CaseIterable {
        /// The exact received body.
        case original
        /// Only the event's payload JSON.
        case payload
    }

    /// The options of an `http` block, as typed keys.
    enum Key {
        static let url = SinkOptionKey.url(
            "url", required: true, doc: "where to send each event (http:// or https://)",
            check: { value in
                guard case .text(let text) = value else { return nil }
                return HTTPSink.isUsableURL(text) ? nil : "must be an http:// or https:// URL with a host"
            })
        static let method = SinkOptionKey.choice("method", of: Method.self, default: .post, doc: "the request method")
        static let header = SinkOptionKey.pairs(
            "header",
            doc: "an extra header; VALUE may be env:NAME or file:PATH, or text with ${env:NAME}, ${file:PATH} and"
                + " {type} {tenant} {id} {contactId}",
            check: { value in
                guard case .pair(let name, _) = value, HTTPSink.reservedHeaders.contains(name.lowercased()) else { return nil }
                return "is set by the http sink itself"
            })
        static let timeout = SinkOptionKey.duration(
            "timeout", default: "10s", in: .milliseconds(1)...(.seconds(86_400)),
            doc: "how long one request may take before it is retried (1ms to 1d)")
        static let body = SinkOptionKey.choice(
            "body", of: Body.self, default: .original,
            doc: "send the exact received body, or only the event's payload JSON")
    }

    /// The options of an `http` block.
    public static let options: [SinkOption] = [
        Key.url.option, Key.method.option, Key.header.option, Key.timeout.option, Key.body.option,
    ]

    /// Up to 4 batches at once per sink (connections are pooled per host).
    public static let defaultMaxInFlight = 4

    /// 32 events per claim: their requests go out at once (unless the sink keeps receipt order), so a backlog costs
    /// one claim and one completion per 32 deliveries rather than per delivery.
    public static let defaultBatchSize = 32

    /// The most requests one batch has open at once.
    static let requestsPerBatch = 16

    /// Headers the sink always sets itself; a `header` line may not replace them.
    /// An http:// or https:// URL with a host.
    static func isUsableURL(_ text: String) -> Bool {
        guard let parsed = URL(string: text), let scheme = parsed.scheme?.lowercased(), let host = parsed.host else {
            return false
        }
        return ["http", "https"].contains(scheme) && !host.isEmpty
    }

    static let reservedHeaders: Set<String> = [
        "content-type", "content-length", "transfer-encoding", "host", "connection", "idempotency-key",
        "engage-event-type", "engage-event-id", "engage-message-id",
    ]

    /// The most of a refusing response's body that goes into a failure reason.
    static let bodySnippetLimit = 200

    private let url: String
    private let method: HTTPMethod
    private let headers: [HeaderTemplate]
    private let timeout: Duration
    private let sendsPayloadOnly: Bool
    /// `max-in-flight 1`: the engine hands over batches in receipt order, and the sink sends them one by one.
    private let keepsOrder: Bool
    private let logger: Logger
    private let client: HTTPClient

    /// Validates the URL and headers and resolves header secrets from the process environment and files.
    public convenience init(configuration: SinkConfiguration, context: SinkContext) throws {
        try self.init(
            configuration: configuration, context: context, environment: ProcessInfo.processInfo.environment)
    }

    /// Validates the URL and headers and resolves header secrets from `environment` and files.
    init(configuration: SinkConfiguration, context: SinkContext, environment: [String: String]) throws {
        let options = configuration.options
        let name = configuration.name
        let url = try options.required(Key.url, sink: name)
        guard Self.isUsableURL(url) else {
            throw SinkError("sink `\(name)`: `url` must be an http:// or https:// URL with a host")
        }
        let method = options[Key.method] ?? .post
        let timeout = options[Key.timeout] ?? .seconds(10)
        var headers: [HeaderTemplate] = []
        for (header, value) in (options[Key.header] ?? []).map({ ($0.name, $0.value) }) {
            guard !Self.reservedHeaders.contains(header.lowercased()) else {
                throw SinkError("sink `\(name)`: header `\(header)` is set by the http sink itself")
            }
            do throws(SinkError) {
                headers.append(try HeaderTemplate(name: header, value: value, environment: environment))
            } catch {
                throw SinkError("sink `\(name)`: \(error.message)")
            }
        }
        context.redactor.add(headers.flatMap(\.secrets))
        self.url = url
        self.method = HTTPMethod(rawValue: method.rawValue)
        self.headers = headers
        self.timeout = timeout
        self.sendsPayloadOnly = options[Key.body] == .payload
        self.keepsOrder = (options[DeliveryPolicy.Key.maxInFlight] ?? Self.defaultMaxInFlight) == 1
        self.logger = context.logger
        self.client = .relaySinks
    }

    /// Only `body payload` and `header` lines (whose placeholders may name payload fields) read the payload.
    public var readsPayload: Bool { sendsPayloadOnly || !headers.isEmpty }

    /// Sends the events and reports each one's outcome, in batch order: one request at a time when the sink keeps
    /// receipt order (`max-in-flight 1`), else up to ``requestsPerBatch`` at once.
    public func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] {
        guard !keepsOrder, batch.count > 1 else {
            var outcomes: [DeliveryOutcome] = []
            outcomes.reserveCapacity(batch.count)
            for event in batch {
                try Task.checkCancellation()
                outcomes.append(try await send(event))
            }
            return outcomes
        }
        return try await withThrowingTaskGroup(of: (Int, DeliveryOutcome).self) { group in
            var outcomes = [DeliveryOutcome?](repeating: nil, count: batch.count)
            for (index, event) in batch.enumerated() {
                if index >= Self.requestsPerBatch, let (finished, outcome) = try await group.next() {
                    outcomes[finished] = outcome
                }
                group.addTask { (index, try await self.send(event)) }
            }
            for try await (finished, outcome) in group { outcomes[finished] = outcome }
            return outcomes.map { $0 ?? .retry(reason: "the request was not sent") }
        }
    }

    /// Sends one event; throws only when the task was cancelled (the engine then retries it).
    func send(_ event: EngageEvent) async throws -> DeliveryOutcome {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = requestHeaders(for: event)
        do {
            request.body = .bytes(ByteBuffer(bytes: try bodyBytes(for: event)))
        } catch {
            return .failed(reason: "cannot encode the payload as JSON: \(error)")
        }
        var logger = logger
        logger[metadataKey: "relay.event.id"] = "\(event.id)"
        logger[metadataKey: "relay.event.type"] = "\(event.type)"
        let started = ContinuousClock.now
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: TimeAmount(timeout), logger: logger)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            let reason = Self.describe(error, timeout: timeout)
            logger.debug("http delivery failed", metadata: ["relay.http.error": "\(reason)"])
            return .retry(reason: reason)
        }
        let outcome = await Self.outcome(for: response)
        logger.debug(
            "http delivery",
            metadata: [
                "relay.http.status": "\(response.status.code)",
                "relay.http.duration": "\(ContinuousClock.now - started)",
            ])
        return outcome
    }

    /// The headers of one request: the fixed ones, then the configured ones with placeholders filled in.
    func requestHeaders(for event: EngageEvent) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Idempotency-Key", value: HeaderTemplate.headerSafe(event.messageId))
        headers.add(name: "Engage-Event-Type", value: HeaderTemplate.headerSafe(event.type.rawValue))
        headers.add(name: "Engage-Event-Id", value: HeaderTemplate.headerSafe(event.id))
        headers.add(name: "Engage-Message-Id", value: HeaderTemplate.headerSafe(event.messageId))
        if !self.headers.contains(where: { $0.name.lowercased() == "user-agent" }) {
            headers.add(name: "User-Agent", value: "engage-relay")
        }
        for header in self.headers { headers.add(name: header.name, value: header.render(for: event)) }
        return headers
    }

    /// The exact received body, or the payload re-encoded as JSON.
    func bodyBytes(for event: EngageEvent) throws -> [UInt8] {
        guard sendsPayloadOnly else { return event.body }
        return try event.payload.compactJSON()
    }

    /// Maps a response to an outcome, reading at most a little of its body.
    static func outcome(for response: HTTPClientResponse) async -> DeliveryOutcome {
        let code = Int(response.status.code)
        let status = "HTTP \(code) \(response.status.reasonPhrase)"
        switch code {
        case 200..<300:
            await drain(response.body)
            return .delivered
        case 300..<400:
            await drain(response.body)
            let location = response.headers.first(name: "Location").map { " to \(printable($0, limit: 300))" } ?? ""
            return .failed(reason: "\(status): redirect\(location) not followed; point `url` at the final address")
        case 408, 425, 429, 500..<600:
            let after = RetryAfter.delay(response.headers.first(name: "Retry-After"))
            let snippet = await prefix(of: response.body, limit: bodySnippetLimit)
            return .retry(reason: status + (snippet.isEmpty ? "" : ": \(snippet)"), after: after)
        default:
            let snippet = await prefix(of: response.body, limit: bodySnippetLimit)
            return .failed(reason: status + (snippet.isEmpty ? "" : ": \(snippet)"))
        }
    }

    /// Reads and discards a small body so the connection can be reused; a large one is abandoned (and its connection
    /// closed) instead of read.
    static func drain(_ body: HTTPClientResponse.Body) async {
        var remaining = 1 << 20
        do {
            for try await chunk in body {
                remaining -= chunk.readableBytes
                if remaining < 0 { return }
            }
        } catch {
            // The status already decided the outcome.
        }
    }

    /// The first `limit` bytes of a body as one printable line.
    static func prefix(of body: HTTPClientResponse.Body, limit: Int) async -> String {
        var bytes: [UInt8] = []
        do {
            for try await chunk in body {
                bytes += chunk.readableBytesView.prefix(limit + 1 - bytes.count)
                if bytes.count > limit { break }
            }
        } catch {
            // Whatever arrived before the error is enough for a reason.
        }
        return printable(String(decoding: bytes, as: UTF8.self), limit: limit)
    }

    /// `text` on one line (control characters become spaces), trimmed, cut to `limit` UTF-8 bytes with `…`.
    static func printable(_ text: String, limit: Int) -> String {
        var line = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
        line = line.trimmingCharacters(in: .whitespaces)
        guard line.utf8.count > limit else { return line }
        var cut = ""
        for character in line {
            if cut.utf8.count + character.utf8.count > limit { break }
            cut.append(character)
        }
        return cut + "…"
    }

    /// A reason for a request that got no response; never includes request headers.
    static func describe(_ error: any Error, timeout: Duration) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return "no response within \(timeout.configText)"
            case .connectTimeout:
                return "connecting timed out"
            case .remoteConnectionClosed:
                return "the server closed the connection before responding"
            default:
                return "request failed: \(error.shortDescription)"
            }
        }
        return printable("request failed: \(error)", limit: 300)
    }
}
