import AsyncHTTPClient
import EngageRelay
import Foundation
import NIOCore
import NIOHTTP1
import RelayTesting
import Synchronization
import Testing

/// Counters shared by concurrent client tasks.
final class LoadState: Sendable {
    let next = Mutex(0)
    let answers = Mutex<[(id: String, status: Int)]>([])
    let failures = Mutex<[String]>([])
}

/// Metrics, health, JSON logs, hot reload and TLS, each against the real `engage-relay serve` process.
extension RelayProcess {
    /// The bound port of the operations listener, from its start-up line.
    func operationsPort() async throws -> Int {
        try await waitForLog("operations endpoints listening")
        let line = logText.split(separator: "\n").first { $0.contains("operations endpoints listening") } ?? ""
        let address = line.split(separator: " ").first { $0.hasPrefix("relay.listen=") } ?? ""
        guard let port = Int(address.split(separator: ":").last ?? "") else {
            throw TestFailure("no operations port in `\(line)`")
        }
        return port
    }
}

@Suite struct OperationsTests {
    /// A fresh folder for one test.
    static func folder(_ prefix: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Replaces `file` the way editors and deploy tools do: write a sibling, then rename it over the original.
    static func replaceAtomically(_ file: URL, with text: String) throws {
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(UUID())")
        try text.write(to: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary.path, file.path) == 0 else { throw TestFailure("rename failed: \(errno)") }
    }

    static func post(_ request: SignedRequest, port: Int, scheme: String = "http") async throws -> Int {
        var http = HTTPClientRequest(url: "\(scheme)://127.0.0.1:\(port)/webhooks/engage")
        http.method = .POST
        for (name, value) in request.headers() { http.headers.add(name: name, value: value) }
        http.body = .bytes(ByteBuffer(bytes: request.body))
        let response = try await HTTPClient.shared.execute(http, timeout: .seconds(20))
        _ = try await response.body.collect(upTo: 4096)
        return Int(response.status.code)
    }

    static func get(_ path: String, port: Int) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(20))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    /// The samples of a `/metrics` answer, parsed by the official Python Prometheus client.
    static func metrics(port: Int) async throws -> [String: Double] {
        let (status, text) = try await get("/metrics", port: port)
        guard status == 200 else { throw TestFailure("/metrics answered \(status)") }
        let output = try await ChildProcess.run(
            "python3", [Fixtures.url("prometheus_parse.py").path], stdin: Data(text.utf8))
        guard output.status == 0, let samples = try JSONSerialization.jsonObject(with: output.stdout) as? [String: Double]
        else {
            throw TestFailure("not Prometheus text (is prometheus_client installed? scripts/test installs it): \(output.stderrText)\n\(text)")
        }
        return samples
    }

    static func messageIds(in file: URL) -> [String] {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["messageId"] as? String
        }
    }

    static func eventually(timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    @Test func metricsShowTheExactCountsOfAKnownMix() async throws {
        let folder = try Self.folder("metrics")
        let config = folder.appendingPathComponent("relay.conf")
        try """
        listen 127.0.0.1:0
        verify { secret env:ENGAGE_SIGNING_SECRET }
        spool { path \(folder.path)/spool.db }
        sink ok file { path \(folder.path)/ok.jsonl }
        sink broken exec { command false }
        route contact.* -> ok
        route point.* -> broken
        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try RelayProcess(config: config, log: folder.appendingPathComponent("server.log"))
        defer { server.stop() }
        let port = try await server.port()
        let operationsPort = try await server.operationsPort()

        let contact = try Fixtures.engageBody("contact.created.json")
        let points = try Fixtures.engageBody("point.balance.updated.json")
        let signed = try await PythonSvix.sign([contact, contact, contact, points, contact, contact])
        var statuses: [Int] = []
        for request in signed[0..<4] { statuses.append(try await Self.post(request, port: port)) }  // 4 stored
        statuses.append(try await Self.post(signed[0], port: port))  // 1 duplicate
        for var forged in signed[4..<6] {  // 2 wrong signatures
            forged.signature = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
            statuses.append(try await Self.post(forged, port: port))
        }
        #expect(statuses == [204, 204, 204, 204, 200, 401, 401])

        var samples: [String: Double] = [:]
        let settled = try await Self.eventually {
            samples = try await Self.metrics(port: operationsPort)
            // The spool gauges are refreshed on a timer, not per scrape: wait for them too.
            return samples[#"engage_relay_deliveries_total{outcome="delivered",sink="ok"}"#] == 3
                && samples[#"engage_relay_deliveries_total{outcome="dead_lettered",sink="broken"}"#] == 1
                && samples[#"engage_relay_spool_deliveries{sink="ok",state="delivered"}"#] == 3
                && samples[#"engage_relay_spool_deliveries{sink="broken",state="failed"}"#] == 1
        }
        #expect(settled, "deliveries did not settle: \(samples.filter { $0.key.contains("deliveries") })")
        #expect(samples[#"engage_relay_requests_total{outcome="stored"}"#] == 4)
        #expect(samples[#"engage_relay_requests_total{outcome="duplicate"}"#] == 1)
        #expect(samples[#"engage_relay_requests_total{outcome="signature_mismatch"}"#] == 2)
        #expect(samples[#"engage_relay_events_total{type="contact.created"}"#] == 3)
        #expect(samples[#"engage_relay_events_total{type="point.balance.updated"}"#] == 1)
        #expect(samples[#"engage_relay_deliveries_total{outcome="retried",sink="ok"}"#] == nil)
        #expect(samples[#"engage_relay_spool_deliveries{sink="ok",state="delivered"}"#] == 3)
        #expect(samples[#"engage_relay_spool_deliveries{sink="broken",state="failed"}"#] == 1)
        #expect(samples[#"engage_relay_oldest_pending_age_seconds{sink="ok"}"#] == 0)
        #expect(samples[#"engage_relay_ingest_duration_seconds_count"#] == 7)
        #expect(samples[#"engage_relay_delivery_duration_seconds_count{sink="ok"}"#].map { $0 >= 1 } == true)

        #expect(try await Self.get("/healthz", port: port).status == 200)
        #expect(try await Self.get("/healthz", port: operationsPort).status == 200)
        let ready = try await Self.get("/readyz", port: operationsPort)
        #expect(ready.status == 200)
        #expect(ready.body == #"{"status":"ready"}"#)
        // The ingest listener serves the ingest path and /healthz only.
        #expect(try await Self.get("/metrics", port: port).status == 404)
        #expect(try await Self.get("/readyz", port: port).status == 404)
    }

    @Test func aSeparateMetricsListenerServesOperationsAndTheMainOneDoesNot() async throws {
        let folder = try Self.folder("metrics-listen")
        let config = folder.appendingPathComponent("relay.conf")
        try """
        listen 127.0.0.1:0
        metrics-listen 127.0.0.1:0
        verify { secret env:ENGAGE_SIGNING_SECRET }
        spool { path \(folder.path)/spool.db }
        sink ok file { path \(folder.path)/ok.jsonl }
        route * -> ok
        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try RelayProcess(config: config, log: folder.appendingPathComponent("server.log"))
        defer { server.stop() }
        let port = try await server.port()
        let operationsPort = try await server.operationsPort()
        #expect(try await Self.get("/metrics", port: port).status == 404)
        #expect(try await Self.get("/readyz", port: operationsPort).status == 200)
        let metrics = try await Self.get("/metrics", port: operationsPort)
        #expect(metrics.status == 200)
        #expect(try await Self.get("/webhooks/engage", port: operationsPort).status == 404)
    }

    @Test func aFullSpoolAnswers503AndReadinessSaysSoUntilItHasRoomAgain() async throws {
        let folder = try Self.folder("full")
        let config = folder.appendingPathComponent("relay.conf")
        try """
        listen 127.0.0.1:0
        verify { secret env:ENGAGE_SIGNING_SECRET }
        spool { path \(folder.path)/spool.db; max-size 64KiB }
        sink ok file { path \(folder.path)/ok.jsonl }
        route * -> ok
        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try RelayProcess(config: config, log: folder.appendingPathComponent("server.log"))
        defer { server.stop() }
        let port = try await server.port()
        let operationsPort = try await server.operationsPort()
        #expect(try await Self.get("/readyz", port: operationsPort).status == 200)
        // Bodies of 16 KiB fill a 64 KiB spool within a few events.
        let padding = String(repeating: "x", count: 16 * 1024)
        let bodies = (0..<12).map { index in
            Array(#"{"eventType":"contact.created","id":"full-\#(index)","isEncrypted":false,"payload":{"note":"\#(padding)"},"tenant":"se"}"#.utf8)
        }
        var statuses: [Int] = []
        for request in try await PythonSvix.sign(bodies) { statuses.append(try await Self.post(request, port: port)) }
        #expect(statuses.contains(503), "the spool never filled: \(statuses)")
        #expect(statuses.allSatisfy { $0 == 204 || $0 == 503 }, "\(statuses)")
        let ready = try await Self.get("/readyz", port: operationsPort)
        #expect(ready.status == 503)
        #expect(ready.body.contains("spool_full"), "\(ready.body)")
    }

    @Test func refusalFloodsAreLoggedAFewLinesASecondWithACountOfTheRest() async throws {
        let folder = try Self.folder("log-throttle")
        let config = folder.appendingPathComponent("relay.conf")
        try """
        listen 127.0.0.1:0
        verify { secret env:ENGAGE_SIGNING_SECRET }
        spool { path \(folder.path)/spool.db }
        sink ok file { path \(folder.path)/ok.jsonl }
        route * -> ok
        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try RelayProcess(config: config, log: folder.appendingPathComponent("server.log"))
        defer { server.stop() }
        let port = try await server.port()
        let body = try Fixtures.engageBody("contact.created.json")
        var forged = try await PythonSvix.sign([body])[0]
        forged.signature = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        var refused = 0
        let started = ContinuousClock.now
        for _ in 0..<60 where try await Self.post(forged, port: port) == 401 { refused += 1 }
        let elapsed = ContinuousClock.now - started
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await Self.post(forged, port: port) == 401)
        try await server.waitForLog("relay.suppressed=")
        let lines = server.logText.split(separator: "\n").filter { $0.contains("delivery refused") }
        // At most five lines for each second the flood lasted (and the one after it), never one per request.
        let seconds = Int(elapsed.components.seconds) + 2
        #expect(refused == 60)
        #expect(lines.count <= 5 * seconds && lines.count < 61, "\(lines.count) lines for 61 refusals")
        let suppressed = lines.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("relay.suppressed=") }.flatMap { Int($0.dropFirst(17)) }
        }
        #expect(suppressed.reduce(0, +) + lines.count == 61, "every refusal is logged or counted")
    }

    @Test func sighupWithAChangedConfigReroutesUnderLoadAndABrokenOneKeepsTheOldRouting() async throws {
        let folder = try Self.folder("reload")
        let config = folder.appendingPathComponent("relay.conf")
        func configText(route: String) -> String {
            """
            listen 127.0.0.1:0
            verify { secret env:ENGAGE_SIGNING_SECRET }
            spool { path \(folder.path)/spool.db }
            sink a file { path \(folder.path)/a.jsonl }
            sink b file { path \(folder.path)/b.jsonl }
            \(route)
            """
        }
        try configText(route: "route * -> a").write(to: config, atomically: true, encoding: .utf8)
        let server = try RelayProcess(config: config, log: folder.appendingPathComponent("server.log"))
        defer { server.stop() }
        let port = try await server.port()

        let samples = try Fixtures.engageBodies().map(\.body)
        let requests = try await PythonSvix.sign((0..<600).map { samples[$0 % samples.count] })
        let load = LoadState()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask { [load] in
                    while true {
                        let index = load.next.withLock { value -> Int in
                            defer { value += 1 }
                            return value
                        }
                        guard index < requests.count else { return }
                        do {
                            let status = try await Self.post(requests[index], port: port)
                            load.answers.withLock { $0.append((requests[index].messageId, status)) }
                        } catch {
                            load.failures.withLock { $0.append("\(error)") }
                        }
                    }
                }
            }
            let reloaded = folder.appendingPathComponent("relay.conf")
            let newText = configText(route: "route * -> b")
            group.addTask { [load] in
                while load.answers.withLock({ $0.count }) < 150 { try await Task.sleep(for: .milliseconds(5)) }
                try Self.replaceAtomically(reloaded, with: newText)
                server.signal(SIGHUP)
                try await server.waitForLog("config reloaded")
            }
            try await group.waitForAll()
        }
        let all = load.answers.withLock { $0 }
        let failures = load.failures.withLock { $0 }
        #expect(failures.isEmpty, "requests failed during the reload: \(failures.prefix(3))")
        #expect(all.count == requests.count)
        #expect(all.allSatisfy { $0.status == 204 }, "refused during reload: \(all.filter { $0.status != 204 }.prefix(5))")

        // Every acknowledged event reaches a sink, under the old routing or the new.
        let acknowledged = Set(all.map(\.id))
        let a = folder.appendingPathComponent("a.jsonl")
        let b = folder.appendingPathComponent("b.jsonl")
        let delivered = await Self.eventually {
            acknowledged.isSubset(of: Set(Self.messageIds(in: a) + Self.messageIds(in: b)))
        }
        #expect(delivered, "acknowledged but in neither sink")
        #expect(!Self.messageIds(in: a).isEmpty && !Self.messageIds(in: b).isEmpty, "both routings were in force")

        // After the reload, a delivery goes to b only.
        let after = try await PythonSvix.sign([samples[0]])[0]
        #expect(try await Self.post(after, port: port) == 204)
        #expect(await Self.eventually { Self.messageIds(in: b).contains(after.messageId) })
        #expect(!Self.messageIds(in: a).contains(after.messageId))

        // A broken config is refused with its diagnostics; routing stays on b.
        try Self.replaceAtomically(config, with: configText(route: "route * -> c"))
        server.signal(SIGHUP)
        try await server.waitForLog("config reload failed")
        let log = server.logText
        #expect(log.contains("relay.conf:6:"), "the diagnostic names file and line: \(log.suffix(2000))")
        #expect(log.contains("error:"))
        let later = try await PythonSvix.sign([samples[0]])[0]
        #expect(try await Self.post(later, port: port) == 204)
        #expect(await Self.eventually { Self.messageIds(in: b).contains(later.messageId) })
        #expect(!Self.messageIds(in: a).contains(later.messageId))
    }

    @Test func aSinkRemovedByReloadLeavesItsPendingDeliveriesAsDeadLetters() async throws {
        let folder = try Self.folder("reload-remove")
        let config = folder.appendingPathComponent("relay.conf")
        let base = """
            listen 127.0.0.1:0
            verify { secret env:ENGAGE_SIGNING_SECRET }
            spool { path \(folder.path)/spool.db }
            sink a file { path \(folder.path)/a.jsonl }
            """
        // `slow` holds its deliveries back with a retry schedule far in the future, so they are pending at reload.
        try (base + """

            sink slow exec { command false; retry-exit-codes 1; retry attempts=5 backoff=1h..2h }
            route * -> a, slow
            """).write(to: config, atomically: true, encoding: .utf8)
        let server = try RelayProcess(config: config, log: folder.appendingPathComponent("server.log"))
        defer { server.stop() }
        let port = try await server.port()
        let request = try await PythonSvix.sign([try Fixtures.engageBody("contact.created.json")])[0]
        #expect(try await Self.post(request, port: port) == 204)
        let operationsPort = try await server.operationsPort()
        #expect(await Self.eventually { (try? await Self.metrics(port: operationsPort))?[#"engage_relay_deliveries_total{outcome="retried",sink="slow"}"#] == 1 })

        try Self.replaceAtomically(config, with: base + "\nroute * -> a\n")
        server.signal(SIGHUP)
        try await server.waitForLog("config reloaded")
        let listing = try await ChildProcess.run(
            RelayBinary.url.path, ["dead-letters", "list", "--spool", folder.appendingPathComponent("spool.db").path, "--json"])
        #expect(listing.status == 0, "\(listing.stderrText)")
        let text = String(decoding: listing.stdout, as: UTF8.self)
        #expect(text.contains(request.messageId), "the removed sink's delivery is a dead letter: \(text)")
        #expect(text.contains("not in the config"))
        let samples = try await Self.metrics(port: operationsPort)
        #expect(samples[#"engage_relay_config_reloads_total{result="success"}"#] == 1)
    }

    @Test func jsonLogsAreOneJSONObjectPerLine() async throws {
        let folder = try Self.folder("json-logs")
        let (_, config) = try CrashTests.makeConfig(prefix: "json-logs")
        let server = try RelayProcess(
            config: config, log: folder.appendingPathComponent("server.log"),
            arguments: ["--log-format", "json", "--log-level", "debug"])
        defer { server.stop() }
        let port = try await server.port()
        var requests = try await PythonSvix.sign([try Fixtures.engageBody("contact.created.json")] + [Array(#"{"x":"a\nb\"c"}"#.utf8)])
        #expect(try await Self.post(requests[0], port: port) == 204)
        requests[1].signature = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        #expect(try await Self.post(requests[1], port: port) == 401)
        server.signal(SIGTERM)
        await server.waitForExit()
        #expect(server.process.terminationStatus == 0)
        let lines = server.logText.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count >= 4)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            #expect(object?["message"] is String && object?["level"] is String && object?["timestamp"] is String)
        }
        #expect(server.logText.contains(#""relay.reason":"signature_mismatch""#))
        #expect(!server.logText.contains(testSecret))
    }

    @Test func httpsWithASelfSignedCertificateAcceptsADeliveryAndReloadsTheCertificate() async throws {
        let folder = try Self.folder("tls")
        func makeCertificate(_ name: String) async throws {
            let output = try await ChildProcess.run(
                "openssl",
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=\(name)", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", folder.appendingPathComponent("\(name).key").path,
                    "-out", folder.appendingPathComponent("\(name).pem").path,
                ])
            guard output.status == 0 else { throw TestFailure("openssl failed: \(output.stderrText)") }
        }
        try await makeCertificate("first")
        try await makeCertificate("second")
        let config = folder.appendingPathComponent("relay.conf")
        try FileManager.default.copyItem(at: folder.appendingPathComponent("first.pem"), to: folder.appendingPathComponent("cert.pem"))
        try FileManager.default.copyItem(at: folder.appendingPathComponent("first.key"), to: folder.appendingPathComponent("key.pem"))
        try """
        listen 127.0.0.1:0
        tls { cert \(folder.path)/cert.pem; key \(folder.path)/key.pem }
        verify { secret env:ENGAGE_SIGNING_SECRET }
        spool { path \(folder.path)/spool.db }
        sink out file { path \(folder.path)/out.jsonl }
        route * -> out
        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try RelayProcess(config: config, log: folder.appendingPathComponent("server.log"))
        defer { server.stop() }
        let port = try await server.port()
        #expect(server.logText.contains("relay.tls=on"))

        func curl(_ request: SignedRequest, trusting authority: String) async throws -> String {
            let body = folder.appendingPathComponent("body-\(UUID()).json")
            try Data(request.body).write(to: body)
            let output = try await ChildProcess.run(
                "curl",
                ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", folder.appendingPathComponent(authority).path]
                    + request.headers().flatMap { ["-H", "\($0.0): \($0.1)"] }
                    + ["-H", "content-type: application/json", "--data-binary", "@\(body.path)",
                        "https://127.0.0.1:\(port)/webhooks/engage"])
            return String(decoding: output.stdout, as: UTF8.self) + output.stderrText
        }
        let requests = try await PythonSvix.sign(
            Array(repeating: try Fixtures.engageBody("contact.created.json"), count: 3))
        #expect(try await curl(requests[0], trusting: "first.pem") == "204")
        let plain = try? await Self.post(requests[1], port: port)
        #expect(plain == nil || plain == 400, "plain HTTP on the TLS port is not accepted")

        // Certificates renewed on disk (rename over), SIGHUP: new handshakes use the new certificate.
        try Self.replaceAtomically(
            folder.appendingPathComponent("cert.pem"),
            with: try String(contentsOf: folder.appendingPathComponent("second.pem"), encoding: .utf8))
        try Self.replaceAtomically(
            folder.appendingPathComponent("key.pem"),
            with: try String(contentsOf: folder.appendingPathComponent("second.key"), encoding: .utf8))
        server.signal(SIGHUP)
        try await server.waitForLog("config reloaded")
        #expect(try await curl(requests[1], trusting: "second.pem") == "204")
        #expect(try await curl(requests[2], trusting: "first.pem") != "204", "the old certificate is no longer served")
        #expect(await Self.eventually { Self.messageIds(in: folder.appendingPathComponent("out.jsonl")).count == 2 })
    }
}
