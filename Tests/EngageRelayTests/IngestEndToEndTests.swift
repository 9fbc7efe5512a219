import EngageRelay
import Foundation
import Logging
import NIOHTTP1
import RelaySpoolSQLite
import RelayTesting
import Testing

/// Deliveries over real HTTP on loopback, signed by the official Python `svix` library.
@Suite struct IngestEndToEndTests {
    static let config = """
        listen 127.0.0.1:0
        max-body 64KiB
        verify { secret env:ENGAGE_SIGNING_SECRET }
        sink events file { path $DIR/data/events.jsonl }
        route * -> events
        """

    @Test(arguments: ["svix", "webhook"])
    func everySampleSignedBySvixIsAcceptedAndWrittenOnce(headerStyle: String) async throws {
        let samples = try Fixtures.engageBodies()
        let requests = try await PythonSvix.sign(samples.map(\.body))
        try await RunningRelay.with(config: Self.config) { relay in
            for request in requests {
                let response = try await relay.post(request.body, headers: request.headers(style: headerStyle))
                #expect(response.status == 204, "\(response.body)")
            }
            let lines = try await relay.waitForLines("data/events.jsonl", count: samples.count)
            #expect(lines.count == samples.count)
            for (sample, request) in zip(samples, requests) {
                let envelope = try #require(try JSONSerialization.jsonObject(with: Data(sample.body)) as? [String: Any])
                let matching = lines.filter { $0["messageId"] as? String == request.messageId }
                #expect(matching.count == 1, "\(sample.name) appears \(matching.count) times")
                let line = try #require(matching.first)
                #expect(line["id"] as? String == (envelope["id"] ?? envelope["eventId"]) as? String)
                #expect(line["type"] as? String == envelope["eventType"] as? String)
                #expect(line["tenant"] as? String == envelope["tenant"] as? String)
                let body = try #require(line["body"] as? [String: Any])
                #expect(try canonical(body) == canonical(envelope), "\(sample.name) body differs")
            }
        }
    }

    func canonical(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    @Test func refusedDeliveriesGetTheDocumentedStatusAndWriteNothing() async throws {
        let body = try Fixtures.engageBody("contact.created.json")
        let good = try await PythonSvix.sign([body])[0]
        let wrongSecret = try await PythonSvix.sign([body], secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")[0]
        let stale = try await PythonSvix.sign([body], timestamp: Int64(Date().timeIntervalSince1970) - 301)[0]
        let future = try await PythonSvix.sign([body], timestamp: Int64(Date().timeIntervalSince1970) + 400)[0]
        var tampered = body
        tampered[tampered.count - 3] = UInt8(ascii: "X")
        let oversize = Array(repeating: UInt8(ascii: " "), count: 64 * 1024 + 1)

        try await RunningRelay.with(config: Self.config) { relay in
            let cases: [(String, [UInt8], [(String, String)], Int, String)] = [
                ("tampered body", tampered, good.headers(), 401, "signature_mismatch"),
                ("wrong secret", body, wrongSecret.headers(), 401, "signature_mismatch"),
                ("stale timestamp", body, stale.headers(), 401, "timestamp_out_of_tolerance"),
                ("future timestamp", body, future.headers(), 401, "timestamp_out_of_tolerance"),
                ("missing signature", body, Array(good.headers().prefix(2)), 400, "missing_headers"),
                ("missing id", body, Array(good.headers().dropFirst()), 400, "missing_headers"),
                ("oversize body", oversize, good.headers(), 413, "body_too_large"),
            ]
            for (name, payload, headers, status, code) in cases {
                let response = try await relay.post(payload, headers: headers)
                #expect(response.status == status, "\(name)")
                #expect(response.body == #"{"error":"\#(code)"}"#, "\(name)")
                #expect(response.headers["content-type"].first == "application/json", "\(name)")
            }
            #expect(try relay.lines("data/events.jsonl").isEmpty)
        }
    }

    @Test func authenticBodyThatIsNotAnEngageEnvelopeIsRefusedWith400AndKept() async throws {
        let bodies: [[UInt8]] = [Array("[1,2]".utf8), Array(#"{"payload":{}}"#.utf8), Array("not json".utf8)]
        let requests = try await PythonSvix.sign(bodies)
        try await RunningRelay.with(config: Self.config) { relay in
            for request in requests {
                let response = try await relay.post(request.body, headers: request.headers())
                #expect(response.status == 400)
                #expect(response.body == #"{"error":"invalid_body"}"#)
            }
            #expect(try relay.lines("data/events.jsonl").isEmpty)
            let spool = try SQLiteSpool(path: relay.spoolPath, logger: .init(label: "test"))
            let kept = try await spool.events(EventQuery(eventState: .undeliverable))
            #expect(Set(kept.map(\.messageId)) == Set(requests.map(\.messageId)))
            #expect(kept.allSatisfy { $0.reason?.isEmpty == false })
        }
    }

    @Test func otherPathsAndMethodsGet404And405AndHealthzAnswers() async throws {
        try await RunningRelay.with(config: Self.config) { relay in
            let notFound = try await relay.post([], headers: [], path: "/webhooks/other")
            #expect(notFound.status == 404)
            #expect(notFound.body == #"{"error":"not_found"}"#)
            let wrongMethod = try await relay.post([], headers: [], method: .GET)
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.headers["allow"].first == "POST")
            let health = try await relay.post([], headers: [], path: "/healthz", method: .GET)
            #expect(health.status == 200)
        }
    }

    @Test func noLogLineContainsTheSecretOrABody() async throws {
        let samples = try Fixtures.engageBodies()
        let requests = try await PythonSvix.sign(samples.map(\.body))
        let wrong = try await PythonSvix.sign(samples.map(\.body), secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
        try await RunningRelay.with(config: Self.config) { relay in
            for request in requests + wrong {
                _ = try await relay.post(request.body, headers: request.headers())
            }
            let notJSON = try await PythonSvix.sign([Array(#"{"secretMarker":"zq-body-marker"}"#.utf8)])[0]
            _ = try await relay.post(notJSON.body, headers: notJSON.headers())
            let logs = relay.logs.all
            #expect(logs.count >= requests.count, "trace logging should record every request")
            let forbidden =
                [testSecret, String(testSecret.dropFirst("whsec_".count)), "zq-body-marker", "cbe3f42c-c1d0-4721"]
                + requests.map(\.signature) + samples.map { String(decoding: $0.body, as: UTF8.self) }
            for line in logs {
                for secret in forbidden {
                    #expect(!line.contains(secret), "a log line leaks `\(secret.prefix(12))…`: \(line.prefix(120))")
                }
            }
        }
    }
}
