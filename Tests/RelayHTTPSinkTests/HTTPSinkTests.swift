import EngageEvents
import Foundation
import Logging
import RelayCore
@testable import RelayHTTPSink
import RelayTesting
import Testing

@Suite struct HTTPSinkTests {
    /// An Engage body with odd spacing, escapes and non-ASCII text, which must arrive unchanged.
    static let body =
        #"{ "eventType" : "contact.created", "id": "ev-1", "tenant":"se",  "#
        + #""payload": {"contactId": "c-42", "note": "räksmörgås \"q\" / ✓"} }"#

    func event(
        _ body: String = HTTPSinkTests.body, messageId: String = "msg_\(UUID().uuidString.prefix(8))"
    ) throws -> EngageEvent {
        try EngageEvent(decoding: Array(body.utf8), messageId: messageId, receivedAt: Date())
    }

    func makeSink(
        _ url: String, _ extra: [String: [SinkOptionValue]] = [:], environment: [String: String] = [:]
    ) throws -> HTTPSink {
        var options: [String: [SinkOptionValue]] = ["url": [.text(url)]]
        options.merge(extra) { $1 }
        return try HTTPSink(
            configuration: SinkConfiguration(name: "hook", options: SinkOptions(options)),
            context: SinkContext(logger: Logger(label: "test")), environment: environment)
    }

    func withPeer(_ body: (HTTPPeer) async throws -> Void) async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        try await body(peer)
    }

    @Test func sendsTheReceivedBodyByteForByteWithTheEventHeaders() async throws {
        try await withPeer { peer in
            let sink = try makeSink(peer.url("/ok/events"))
            let event = try event()
            #expect(try await sink.deliver([event]) == [.delivered])
            let requests = try peer.requests()
            try #require(requests.count == 1)
            let request = requests[0]
            #expect(request.method == "POST")
            #expect(request.path == "/ok/events")
            #expect(request.body == Array(Self.body.utf8))
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.header("Idempotency-Key") == event.messageId)
            #expect(request.header("Engage-Message-Id") == event.messageId)
            #expect(request.header("Engage-Event-Type") == "contact.created")
            #expect(request.header("Engage-Event-Id") == "ev-1")
            #expect(request.header("Content-Length") == "\(Self.body.utf8.count)")
        }
    }

    @Test func bodyPayloadSendsOnlyThePayloadWithTheChosenMethod() async throws {
        try await withPeer { peer in
            let sink = try makeSink(peer.url("/ok"), ["body": [.text("payload")], "method": [.text("PUT")]])
            #expect(try await sink.deliver([try event()]) == [.delivered])
            let request = try #require(try peer.requests().first)
            #expect(request.method == "PUT")
            let sent = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
            #expect(sent.keys.sorted() == ["contactId", "note"])
            #expect(sent["contactId"] as? String == "c-42")
            #expect(sent["note"] as? String == "räksmörgås \"q\" / ✓")
        }
    }

    @Test func headerSecretsAreResolvedOnceAndPlaceholdersPerEvent() async throws {
        let secretFile = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID())").path
        try "file-secret\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        try await withPeer { peer in
            let sink = try makeSink(
                peer.url("/ok"),
                [
                    "header": [
                        .pair(name: "Authorization", value: "env:HOOK_TOKEN"),
                        .pair(name: "X-Signed", value: "Bearer ${env:HOOK_TOKEN}; key=${file:\(secretFile)}"),
                        .pair(name: "X-File", value: "file:\(secretFile)"),
                        .pair(name: "X-Route", value: "{type}/{tenant}/{id}/{contactId}"),
                        .pair(name: "X-Literal", value: "{\"json\": true} {}"),
                    ]
                ],
                environment: ["HOOK_TOKEN": "s3cr3t"])
            let first = try event()
            let second = try event(#"{"eventType":"loyalty.addPoints","eventId":7,"payload":{"contactId":99}}"#)
            #expect(try await sink.deliver([first, second]) == [.delivered, .delivered])
            let requests = try peer.requests()
            try #require(requests.count == 2)
            #expect(requests[0].header("Authorization") == "s3cr3t")
            #expect(requests[0].header("X-Signed") == "Bearer s3cr3t; key=file-secret")
            #expect(requests[0].header("X-File") == "file-secret")
            #expect(requests[0].header("X-Route") == "contact.created/se/ev-1/c-42")
            #expect(requests[1].header("X-Route") == "loyalty.addPoints//7/99")
            #expect(requests[0].header("X-Literal") == "{\"json\": true} {}")
        }
    }

    @Test func thePublicInitializerReadsTheProcessEnvironment() async throws {
        let home = try #require(ProcessInfo.processInfo.environment["HOME"])
        try await withPeer { peer in
            let sink = try HTTPSink(
                configuration: SinkConfiguration(
                    name: "hook",
                    options: SinkOptions([
                        "url": [.text(peer.url("/ok"))], "header": [.pair(name: "X-Home", value: "at ${env:HOME}")],
                    ])),
                context: SinkContext(logger: Logger(label: "test")))
            #expect(try await sink.deliver([try event()]) == [.delivered])
            #expect(try peer.requests().first?.header("X-Home") == "at \(home)")
        }
    }

    @Test func aPlaceholderCannotInjectHeaderLines() async throws {
        try await withPeer { peer in
            let sink = try makeSink(peer.url("/ok"), ["header": [.pair(name: "X-Contact", value: "{contactId}")]])
            let sneaky = try event(
                #"{"eventType":"contact.updated","id":"a\r\nX-Evil: 1","payload":{"contactId":"c\r\nX-Injected: yes"}}"#
            )
            #expect(try await sink.deliver([sneaky]) == [.delivered])
            let request = try #require(try peer.requests().first)
            #expect(request.header("X-Contact") == "c%0D%0AX-Injected: yes")
            #expect(request.header("Engage-Event-Id") == "a%0D%0AX-Evil: 1")
            #expect(request.header("X-Injected") == nil)
            #expect(request.header("X-Evil") == nil)
        }
    }

    @Test(arguments: [
        ("Authorization", "env:MISSING_TOKEN", "environment variable `MISSING_TOKEN` is not set"),
        ("Authorization", "Bearer ${env:MISSING_TOKEN}", "environment variable `MISSING_TOKEN` is not set"),
        ("X-Key", "file:/nonexistent/key", "secret file `/nonexistent/key` does not exist"),
        ("X-Key", "${literal}", "must hold `env:NAME` or `file:PATH`"),
        ("X-Key", "Bearer ${env:OPEN", "is not closed"),
        ("X-Key", "{contactID}", "unknown placeholder `{contactID}`"),
        ("Bad Name", "x", "not a valid header name"),
        ("Idempotency-Key", "x", "is set by the http sink itself"),
    ])
    func badHeadersAreClearErrorsThatNameTheHeaderNotTheValue(header: String, value: String, message: String) {
        #expect {
            _ = try makeSink("http://127.0.0.1:9/x", ["header": [.pair(name: header, value: value)]])
        } throws: { error in
            let text = "\(error)"
            return text.contains("sink `hook`") && text.contains("`\(header)`") && text.contains(message)
        }
    }

    @Test func aSecretWithALineBreakIsRefusedWithoutQuotingIt() {
        #expect {
            _ = try makeSink(
                "http://127.0.0.1:9/x", ["header": [.pair(name: "X-Key", value: "env:TWO_LINES")]],
                environment: ["TWO_LINES": "line-one\r\nline-two"])
        } throws: { error in
            "\(error)".contains("env:TWO_LINES") && !"\(error)".contains("line-one")
        }
    }

    @Test(arguments: ["ftp://host/x", "http://", "not a url", "https:///path"])
    func aURLWithoutHTTPOrHostIsRefused(url: String) {
        #expect(throws: SinkError.self) { _ = try makeSink(url) }
    }

    @Test func a503IsRetriedAndTheNextAttemptDelivers() async throws {
        try await withPeer { peer in
            let sink = try makeSink(peer.url("/flaky/a"))
            let event = try event()
            let first = try await sink.deliver([event])
            guard case .retry(let reason, let after) = first.first else {
                Issue.record("expected a retry, got \(first)")
                return
            }
            #expect(reason.contains("HTTP 503"))
            #expect(reason.contains("try later"))
            #expect(after == nil)
            #expect(try await sink.deliver([event]) == [.delivered])
            #expect(try peer.requests().count == 2)
        }
    }

    @Test func eachEventOfABatchGetsItsOwnRequestAndOutcome() async throws {
        try await withPeer { peer in
            let sink = try makeSink(peer.url("/flaky/batch"))
            let outcomes = try await sink.deliver([try event(), try event(), try event()])
            // The peer refuses whichever request reaches it first; the batch's requests go out together.
            #expect(outcomes.count == 3)
            #expect(outcomes.filter { $0 == .delivered }.count == 2)
            #expect(outcomes.filter { if case .retry = $0 { true } else { false } }.count == 1, "\(outcomes)")
            #expect(try peer.requests().count == 3)
        }
    }

    @Test func aBatchGoesOutAtOnceWithOutcomesInBatchOrder() async throws {
        try await withPeer { peer in
            // The peer answers only once all eight requests are open at once: sent one by one, they would fail.
            let sink = try makeSink(peer.url("/together/8/batch"))
            let events = try (0..<8).map { try event(messageId: "msg_\($0)") }
            #expect(try await sink.deliver(events) == Array(repeating: .delivered, count: 8))
            #expect(Set(try peer.requests().compactMap { $0.header("Idempotency-Key") }) == Set(events.map(\.messageId)))
        }
    }

    @Test func maxInFlightOneSendsABatchOneRequestAtATimeInOrder() async throws {
        try await withPeer { peer in
            // The peer refuses a request that overlaps another: sent together, most of these would fail.
            let sink = try makeSink(peer.url("/alone/ordered"), ["max-in-flight": [.integer(1)]])
            let events = try (0..<16).map { try event(messageId: "msg_\($0)") }
            #expect(try await sink.deliver(events) == Array(repeating: .delivered, count: 16))
            #expect(try peer.requests().compactMap { $0.header("Idempotency-Key") } == events.map(\.messageId))
        }
    }

    @Test func a400FailsWithTheStatusAndTheStartOfTheBodyButNoSecrets() async throws {
        try await withPeer { peer in
            let sink = try makeSink(
                peer.url("/bad"), ["header": [.pair(name: "Authorization", value: "env:HOOK_TOKEN")]],
                environment: ["HOOK_TOKEN": "s3cr3t-value"])
            let outcomes = try await sink.deliver([try event()])
            guard case .failed(let reason) = outcomes.first else {
                Issue.record("expected a failure, got \(outcomes)")
                return
            }
            #expect(reason.hasPrefix("HTTP 400 Bad Request: bad request: xxx"))
            #expect(reason.utf8.count < 260)
            #expect(!reason.contains("s3cr3t"))
        }
    }

    @Test func aServerThatNeverAnswersTimesOutIntoARetry() async throws {
        try await withPeer { peer in
            let sink = try makeSink(peer.url("/hang"), ["timeout": [.duration(.milliseconds(400))]])
            let outcomes = try await sink.deliver([try event()])
            // The reason shows the 400 ms timeout, not the peer, ended the request (no timing assertion: a loaded
            // machine may delay the task's resumption by seconds).
            guard case .retry(let reason, nil) = outcomes.first else {
                Issue.record("expected a retry, got \(outcomes)")
                return
            }
            #expect(reason == "no response within 400ms")
        }
    }

    @Test func retryAfterSecondsBecomesTheRetryDelay() async throws {
        try await withPeer { peer in
            let outcomes = try await makeSink(peer.url("/throttle")).deliver([try event()])
            guard case .retry(let reason, let after) = outcomes.first else {
                Issue.record("expected a retry, got \(outcomes)")
                return
            }
            #expect(after == .seconds(7))
            #expect(reason.hasPrefix("HTTP 429"))
        }
    }

    @Test func retryAfterAsAnHTTPDateBecomesTheRetryDelay() async throws {
        try await withPeer { peer in
            let outcomes = try await makeSink(peer.url("/throttle-date")).deliver([try event()])
            guard case .retry(_, let after?) = outcomes.first else {
                Issue.record("expected a retry with a delay, got \(outcomes)")
                return
            }
            // The date is 120 s ahead when the peer answers; the slack allows a slow test machine.
            #expect(after > .seconds(60) && after <= .seconds(121))
        }
    }

    @Test func aRedirectIsNotFollowedAndFailsNamingTheLocation() async throws {
        try await withPeer { peer in
            let outcomes = try await makeSink(peer.url("/redirect")).deliver([try event()])
            guard case .failed(let reason) = outcomes.first else {
                Issue.record("expected a failure, got \(outcomes)")
                return
            }
            #expect(reason.contains("HTTP 302"))
            #expect(reason.contains("/ok/after-redirect"))
            #expect(try peer.requests().map(\.path) == ["/redirect"])
        }
    }

    @Test func aRefusedConnectionIsRetried() async throws {
        // Port 9 (discard) has no listener on loopback here.
        let sink = try makeSink("http://127.0.0.1:9/x", ["timeout": [.duration(.seconds(1))]])
        let outcomes = try await sink.deliver([try event()])
        guard case .retry(let reason, nil) = outcomes.first else {
            Issue.record("expected a retry, got \(outcomes)")
            return
        }
        #expect(reason.hasPrefix("request failed") || reason.hasPrefix("no response") || reason.hasPrefix("connect"))
    }

    @Test func passesSinkConformance() async throws {
        try await withPeer { peer in
            let log = peer.logPath
            let problems = await SinkConformance.check(HTTPSink.self, options: ["url": [.text(peer.url("/ok"))]]) {
                try HTTPPeer.requests(at: log).compactMap { $0.header("Idempotency-Key") }
            }
            #expect(problems.isEmpty, "\(problems)")
            #expect(HTTPSink.defaultMaxInFlight == 4)
            #expect(HTTPSink.defaultBatchSize == 32)
        }
    }
}
