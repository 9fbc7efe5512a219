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

    @Test func authenticBodyThatIsNotAnEngageEnvelopeIsKeptAnswered204CountedAndPurgeable() async throws {
        let bodies: [[UInt8]] = [
            Array("[1,2]".utf8), Array(#"{"payload":{"marker":"b0dy-2"}}"#.utf8), Array("not json b0dy-3".utf8),
        ]
        let requests = try await PythonSvix.sign(bodies)
        try await RunningRelay.with(config: Self.config) { relay in
            for request in requests {
                let response = try await relay.post(request.body, headers: request.headers())
                // Stored: Svix must not retry the same bytes for a day (and disable the endpoint).
                #expect(response.status == 204, "\(response.body)")
            }
            let again = try await relay.post(requests[0].body, headers: requests[0].headers())
            #expect(again.status == 200)
            #expect(again.body == #"{"status":"duplicate"}"#)
            #expect(try relay.lines("data/events.jsonl").isEmpty)

            let spool = try SQLiteSpool(path: relay.spoolPath, logger: .init(label: "test"))
            let kept = try await spool.events(EventQuery(eventState: .undeliverable))
            #expect(Set(kept.map(\.messageId)) == Set(requests.map(\.messageId)))
            #expect(kept.allSatisfy { $0.reason?.isEmpty == false })

            let metrics = try await OperationsTests.metrics(port: relay.operationsPort)
            #expect(metrics[#"engage_relay_undeliverable_total{reason="not_an_object"}"#] == 1)
            #expect(metrics[#"engage_relay_undeliverable_total{reason="missing_event_type"}"#] == 1)
            #expect(metrics[#"engage_relay_undeliverable_total{reason="invalid_json"}"#] == 1)
            #expect(metrics[#"engage_relay_requests_total{outcome="undeliverable"}"#] == 3)
            #expect(metrics[#"engage_relay_requests_total{outcome="duplicate"}"#] == 1)

            let warnings = relay.logs.all.filter { $0.contains("stored as undeliverable") }
            #expect(warnings.count == 3)
            #expect(warnings.allSatisfy { $0.hasPrefix("warning ") && $0.contains("relay.reason=") })
            #expect(!relay.logs.all.contains { $0.contains("b0dy-") || $0.contains("[1,2]") })

            // `events list --state undeliverable` shows them; `events purge --state undeliverable` deletes them.
            let listed = try await ChildProcess.run(
                RelayBinary.url.path,
                ["events", "list", "--spool", relay.spoolPath, "--state", "undeliverable", "--json"])
            #expect(listed.status == 0, "\(listed.stderrText)")
            let listedIds = try JSONSerialization.jsonObject(with: listed.stdout) as? [[String: Any]]
            #expect(Set(listedIds?.compactMap { $0["messageId"] as? String } ?? []) == Set(requests.map(\.messageId)))
            let one = try await ChildProcess.run(
                RelayBinary.url.path,
                ["events", "purge", "--spool", relay.spoolPath, "--state", "undeliverable", requests[0].messageId])
            #expect(one.status == 0, "\(one.stderrText)")
            #expect(one.stdoutText == "purged 1 undeliverable event\n")
            let rest = try await ChildProcess.run(
                RelayBinary.url.path,
                ["events", "purge", "--spool", relay.spoolPath, "--state", "undeliverable", "--json"])
            #expect(rest.stdoutText == #"{"purged":2}"# + "\n", "\(rest.stderrText)")
            #expect(try await spool.events(EventQuery(eventState: .undeliverable)).isEmpty)
            let wrongState = try await ChildProcess.run(
                RelayBinary.url.path, ["events", "purge", "--spool", relay.spoolPath, "--state", "failed"])
            #expect(wrongState.status != 0)
            #expect(wrongState.stderrText.contains("dead-letters purge"))
            try await spool.close()
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
