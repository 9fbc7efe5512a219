import EngageRelay
import Foundation
import Logging
import NIOHTTP1
import RelaySpoolSQLite
import RelayTesting
import Testing

/// The layers before and after the signature, over real HTTP on loopback.
@Suite struct VerificationLayersEndToEndTests {
    static let key = "DaqfT7Ys6tGqM3zbesEKpmacTJEqBCp2"
    static let plaintext = #"{"balance":2500.75,"contactId":"cbe3f42c-c1d0-4721-b8ce-ab35001ce051","accountId":123}"#

    static func encryptedBody(id: String = "enc-1") throws -> [UInt8] {
        let ciphertext = try PayloadDecryptor(key: key).encrypt(Array(plaintext.utf8))
        return Array(
            #"{"eventType":"point.balance.updated","id":"\#(id)","isEncrypted":true,"payload":"\#(ciphertext)","tenant":"voyadodemo"}"#
                .utf8)
    }

    /// POSTs with curl from a chosen local address (`127.0.0.2`, `::1`, …); returns the status and body.
    func curl(
        _ url: String, from source: String, headers: [(String, String)], body: [UInt8]
    ) async throws -> (status: Int, body: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID())")
        try Data(body).write(to: file)
        var arguments = ["-sS", "-g", "--interface", source, "-o", "-", "-w", "\n%{http_code}", "-X", "POST"]
        for (name, value) in headers + [("content-type", "application/json")] { arguments += ["-H", "\(name): \(value)"] }
        arguments += ["--data-binary", "@\(file.path)", url]
        let result = try await ChildProcess.run("curl", arguments)
        if result.status != 0 { return (0, "curl failed (\(result.status)): \(result.stderrText)") }
        let lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test func anEncryptedDeliveryIsDecryptedBeforeRoutingAndReachesTheSinkDecrypted() async throws {
        let request = try await PythonSvix.sign([try Self.encryptedBody()])[0]
        let config = """
            listen 127.0.0.1:0
            verify {
                secret env:ENGAGE_SIGNING_SECRET
                decrypt env:ENGAGE_PAYLOAD_KEY
            }
            sink big file { path $DIR/big.jsonl }
            sink small file { path $DIR/small.jsonl }
            route point.balance.updated where payload.balance > 1000 -> big
            route point.balance.updated where payload.balance <= 1000 -> small
            """
        let environment = ["ENGAGE_SIGNING_SECRET": testSecret, "ENGAGE_PAYLOAD_KEY": Self.key]
        try await RunningRelay.with(config: config, environment: environment) { relay in
            let response = try await relay.post(request.body, headers: request.headers())
            #expect(response.status == 204)
            let lines = try await relay.waitForLines("big.jsonl", count: 1)
            let payload = try #require(lines.first?["payload"] as? [String: Any])
            #expect((payload["balance"] as? NSNumber)?.decimalValue == Decimal(string: "2500.75"))
            #expect(try relay.lines("small.jsonl").isEmpty)
            #expect(!relay.logs.all.contains { $0.contains("cbe3f42c") || $0.contains("2500.75") })
        }
    }

    @Test func anEncryptedDeliveryWithoutAKeyIsStoredWithItsReason() async throws {
        let request = try await PythonSvix.sign([try Self.encryptedBody(id: "enc-2")])[0]
        let config = """
            listen 127.0.0.1:0
            verify { secret env:ENGAGE_SIGNING_SECRET }
            sink all file { path $DIR/all.jsonl }
            route * -> all
            """
        try await RunningRelay.with(config: config) { relay in
            let response = try await relay.post(request.body, headers: request.headers())
            #expect(response.status == 204)
            let stored = try #require(
                try await SQLiteSpool(path: relay.spoolPath, logger: .init(label: "t")).event(request.messageId))
            #expect(stored.state == .undeliverable)
            #expect(stored.type == "point.balance.updated")
            #expect(stored.eventId == "enc-2")
            #expect(stored.reason?.hasPrefix("no_decryption_key") == true)
            let metrics = try await OperationsTests.metrics(port: relay.operationsPort)
            #expect(metrics[#"engage_relay_undeliverable_total{reason="no_decryption_key"}"#] == 1)
        }
    }

    @Test func theAllowlistComparesRealSourceAddressesV4V6AndMapped() async throws {
        let body = try Fixtures.engageBody("contact.created.json")
        let requests = try await PythonSvix.sign([body, body, body, body, body])
        let config = """
            listen [::]:0
            verify {
                secret env:ENGAGE_SIGNING_SECRET
                allow 127.0.0.2 ::1 198.51.100.7
                trust-proxy 127.0.0.3
            }
            sink all file { path $DIR/all.jsonl }
            route * -> all
            """
        try await RunningRelay.with(config: config) { relay in
            let v4 = "http://127.0.0.1:\(relay.port)\(relay.path)"
            let v6 = "http://[::1]:\(relay.port)\(relay.path)"
            // A source that can never be admitted is refused at accept: the connection closes before any byte.
            let refused = try await curl(v4, from: "127.0.0.1", headers: requests[0].headers(), body: body)
            #expect(refused.status == 0 && refused.body.contains("curl failed"), "\(refused)")
            #expect(try await curl(v4, from: "127.0.0.2", headers: requests[1].headers(), body: body).status == 204)
            let fromV6 = try await curl(v6, from: "::1", headers: requests[2].headers(), body: body)
            #expect(fromV6.status == 204, "\(fromV6)")
            let spoofed = try await curl(
                v4, from: "127.0.0.1", headers: requests[3].headers() + [("X-Forwarded-For", "198.51.100.7")], body: body)
            #expect(spoofed.status == 0, "X-Forwarded-For from an untrusted peer is ignored: \(spoofed)")
            // A trusted proxy is let in at accept; the client it forwards is then judged per request.
            let forwardedRefusal = try await curl(
                v4, from: "127.0.0.3", headers: requests[3].headers() + [("X-Forwarded-For", "203.0.113.9")], body: body)
            #expect(forwardedRefusal.status == 403)
            #expect(forwardedRefusal.body == #"{"error":"source_not_allowed"}"#)
            let proxied = try await curl(
                v4, from: "127.0.0.3", headers: requests[4].headers() + [("X-Forwarded-For", "203.0.113.9, 198.51.100.7")],
                body: body)
            #expect(proxied.status == 204, "through a trusted proxy the rightmost untrusted hop is the client")
        }
    }

    @Test func theHeaderTokenAcceptsEitherRotationValueAndNothingElse() async throws {
        let body = try Fixtures.engageBody("contact.created.json")
        let requests = try await PythonSvix.sign([body, body, body, body])
        let config = """
            listen 127.0.0.1:0
            verify {
                secret env:ENGAGE_SIGNING_SECRET
                header X-Engage-Token env:ENGAGE_TOKEN second-token-value
            }
            sink all file { path $DIR/all.jsonl }
            route * -> all
            """
        let environment = ["ENGAGE_SIGNING_SECRET": testSecret, "ENGAGE_TOKEN": "first-token-value"]
        try await RunningRelay.with(config: config, environment: environment) { relay in
            let right = try await relay.post(body, headers: requests[0].headers() + [("X-Engage-Token", "first-token-value")])
            #expect(right.status == 204)
            let second = try await relay.post(body, headers: requests[1].headers() + [("x-engage-token", "second-token-value")])
            #expect(second.status == 204)
            let wrong = try await relay.post(body, headers: requests[2].headers() + [("X-Engage-Token", "first-token-valuE")])
            #expect(wrong.status == 403)
            #expect(wrong.body == #"{"error":"token_mismatch"}"#)
            let missing = try await relay.post(body, headers: requests[3].headers())
            #expect(missing.status == 403)
        }
    }

    @Test func aBurstBeyondTheRateLimitGets429WithRetryAfter() async throws {
        let body = try Fixtures.engageBody("contact.created.json")
        let requests = try await PythonSvix.sign(Array(repeating: body, count: 6))
        let config = """
            listen 127.0.0.1:0
            verify {
                secret env:ENGAGE_SIGNING_SECRET
                rate-limit 0.01/s burst 3
            }
            sink all file { path $DIR/all.jsonl }
            route * -> all
            """
        try await RunningRelay.with(config: config) { relay in
            var statuses: [Int] = []
            var retryAfter: [String] = []
            for request in requests {
                let response = try await relay.post(request.body, headers: request.headers())
                statuses.append(response.status)
                retryAfter += response.headers["retry-after"]
            }
            #expect(statuses == [204, 204, 204, 429, 429, 429])
            #expect(retryAfter.count == 3 && retryAfter.allSatisfy { (Int($0) ?? 0) >= 1 })
        }
    }

    @Test func unsignedFloodsFromOtherSourcesDoNotSpendTheBudgetOfSignedDeliveries() async throws {
        let body = try Fixtures.engageBody("contact.created.json")
        let requests = try await PythonSvix.sign(Array(repeating: body, count: 3))
        let config = """
            listen 127.0.0.1:0
            verify {
                secret env:ENGAGE_SIGNING_SECRET
                rate-limit 0.01/s burst 3 per-source 0.01/s burst 5
            }
            sink all file { path $DIR/all.jsonl }
            route * -> all
            """
        try await RunningRelay.with(config: config) { relay in
            let url = "http://127.0.0.1:\(relay.port)\(relay.path)"
            let forged = [("svix-id", "msg_forged"), ("svix-timestamp", "\(Int(Date().timeIntervalSince1970))"),
                ("svix-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
            var unsigned: [Int] = []
            for source in ["127.0.0.2", "127.0.0.3"] {
                for _ in 0..<8 { unsigned.append(try await curl(url, from: source, headers: forged, body: body).status) }
            }
            // Each flooding source is stopped by its own bucket (5 reach verification and fail it), none by the
            // global one.
            #expect(unsigned.filter { $0 == 401 }.count == 10, "\(unsigned)")
            #expect(unsigned.filter { $0 == 429 }.count == 6, "\(unsigned)")
            // The three signed deliveries from the real sender all fit the global budget of 3.
            for request in requests {
                #expect(try await relay.post(request.body, headers: request.headers()).status == 204)
            }
        }
    }

    @Test func bodiesBeingReadShareOneMemoryBudgetAndARequestBeyondItGets503() async throws {
        let body = try Fixtures.engageBody("contact.created.json")
        let requests = try await PythonSvix.sign([body, body])
        let config = """
            listen 127.0.0.1:0
            max-body 2KiB
            max-buffered 2KiB
            verify { secret env:ENGAGE_SIGNING_SECRET }
            sink all file { path $DIR/all.jsonl }
            route * -> all
            """
        try await RunningRelay.with(config: config) { relay in
            // A client that sends most of a 2 KiB body and stalls holds 1,900 bytes of the 2 KiB budget.
            let script = """
                import socket, sys, time
                s = socket.create_connection(("127.0.0.1", \(relay.port)))
                s.sendall(b"POST /webhooks/engage HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 2000\\r\\n\\r\\n" + b"x" * 1900)
                print("sent", flush=True)
                sys.stdin.readline()
                s.close()
                """
            let stall = Process()
            stall.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            stall.arguments = ["python3", "-c", script]
            let input = Pipe()
            let output = Pipe()
            stall.standardInput = input
            stall.standardOutput = output
            try stall.run()
            defer { stall.terminate() }
            _ = output.fileHandleForReading.availableData  // "sent"
            var status = 0
            let held = try await relay.eventually(timeout: .seconds(30)) {
                status = try await relay.post(body, headers: requests[0].headers() + [("connection", "close")]).status
                return status == 503
            }
            #expect(held, "a request that finds no room in the budget is refused, got \(status)")
            try input.fileHandleForWriting.write(contentsOf: Data("\n".utf8))
            stall.waitUntilExit()
            let freed = try await relay.eventually(timeout: .seconds(30)) {
                try await relay.post(body, headers: requests[1].headers() + [("connection", "close")]).status == 204
            }
            #expect(freed, "the budget is given back when the stalled request ends")
        }
    }

    @Test func aSlowLorisIsDisconnectedWhileNormalClientsAreServed() async throws {
        let body = try Fixtures.engageBody("contact.created.json")
        let requests = try await PythonSvix.sign([body, body])
        let config = """
            listen 127.0.0.1:0
            header-timeout 1s
            verify { secret env:ENGAGE_SIGNING_SECRET }
            sink all file { path $DIR/all.jsonl }
            route * -> all
            """
        try await RunningRelay.with(config: config) { relay in
            let script = """
                import socket, sys, time
                s = socket.create_connection(("127.0.0.1", \(relay.port)))
                s.sendall(b"POST /webhooks/engage HTTP/1.1\\r\\nHost: x\\r\\nsvix-id: msg_slow\\r\\n")
                start = time.monotonic()
                s.settimeout(10)
                try:
                    data = s.recv(1024)
                    print("closed" if not data else "data", round(time.monotonic() - start, 1))
                except socket.timeout:
                    print("open", round(time.monotonic() - start, 1))
                """
            async let loris = ChildProcess.run("python3", ["-c", script])
            try await Task.sleep(for: .milliseconds(300))
            // `Connection: close`: with a 1 s idle limit a pooled connection could be closed under the next request.
            #expect(try await relay.post(body, headers: requests[0].headers() + [("connection", "close")]).status == 204)
            let verdict = try await loris.stdoutText.split(separator: " ")
            #expect(verdict.first == "closed", "the stalled client was not disconnected: \(verdict)")
            #expect((Double(verdict.last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99) < 5)
            #expect(try await relay.post(body, headers: requests[1].headers() + [("connection", "close")]).status == 204)
        }
    }

    @Test func whenEveryLayerFailsOnceNoLogLineHoldsASecretTokenKeyPlaintextOrBody() async throws {
        let plain = try Fixtures.engageBody("contact.created.json")
        let encrypted = try Self.encryptedBody(id: "enc-3")
        let signed = try await PythonSvix.sign([plain, plain, plain, encrypted, plain])
        let wrongSignature = try await PythonSvix.sign([plain], secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")[0]
        let config = """
            listen 127.0.0.1:0
            verify {
                secret env:ENGAGE_SIGNING_SECRET
                header X-Engage-Token env:ENGAGE_TOKEN
                decrypt env:ENGAGE_PAYLOAD_KEY
                rate-limit 100/s burst 100
                allow 127.0.0.1
            }
            sink all file { path $DIR/all.jsonl }
            route * -> all
            """
        let wrongKey = "Zx9Qp2Lm4Nv6Rt8Wy0Ab1Cd3Ef5Gh7Jk"
        let environment = ["ENGAGE_SIGNING_SECRET": testSecret, "ENGAGE_TOKEN": "tok-3f9a7c", "ENGAGE_PAYLOAD_KEY": wrongKey]
        try await RunningRelay.with(config: config, environment: environment) { relay in
            let token = ("X-Engage-Token", "tok-3f9a7c")
            _ = try await relay.post(plain, headers: signed[0].headers())  // token missing
            _ = try await relay.post(plain, headers: signed[1].headers() + [("X-Engage-Token", "tok-wrong-1")])
            _ = try await relay.post(plain, headers: wrongSignature.headers() + [token])  // bad signature
            _ = try await relay.post(encrypted, headers: signed[3].headers() + [token])  // wrong decryption key
            _ = try await curl(
                "http://127.0.0.1:\(relay.port)\(relay.path)", from: "127.0.0.2", headers: signed[4].headers() + [token],
                body: plain)  // source refused
            let logs = relay.logs.all
            let reasons = ["token_mismatch", "signature_mismatch", "source_not_allowed", "decryption_failed"]
            for reason in reasons {
                #expect(logs.contains { $0.contains(reason) }, "no log line says \(reason): \(logs.filter { $0.contains("reason") })")
            }
            let forbidden = [
                testSecret, String(testSecret.dropFirst(6)), "tok-3f9a7c", "tok-wrong-1", wrongKey, Self.key, "2500.75",
                "cbe3f42c-c1d0", String(decoding: plain, as: UTF8.self), String(decoding: encrypted, as: UTF8.self),
            ]
            for line in logs {
                for secret in forbidden {
                    #expect(!line.contains(secret), "a log line leaks `\(secret.prefix(10))…`: \(line.prefix(160))")
                }
            }
        }
    }
}

extension VerificationLayersEndToEndTests {
    @Test func aHugeChunkedBodyIsRefusedWithoutBeingRead() async throws {
        let config = """
            listen 127.0.0.1:0
            max-body 64KiB
            verify { secret env:ENGAGE_SIGNING_SECRET }
            sink all file { path $DIR/all.jsonl }
            route * -> all
            """
        try await RunningRelay.with(config: config) { relay in
            // Streams up to 1 GiB in 64 KiB chunks, without Content-Length, until the server answers.
            let script = """
                import socket, select
                s = socket.create_connection(("127.0.0.1", \(relay.port)))
                s.sendall(b"POST /webhooks/engage HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n"
                          b"svix-id: msg_big\\r\\nsvix-timestamp: 1\\r\\nsvix-signature: v1,x\\r\\n\\r\\n")
                chunk = b"10000\\r\\n" + b"a" * 65536 + b"\\r\\n"
                sent = 0
                answer = b""
                try:
                    while sent < (1 << 30):
                        readable, _, _ = select.select([s], [], [], 0)
                        if readable:
                            answer = s.recv(4096)
                            break
                        s.sendall(chunk)
                        sent += 65536
                    if not answer:
                        answer = s.recv(4096)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                print(sent, answer.split(b"\\r\\n")[0].decode(errors="replace"))
                """
            let result = try await ChildProcess.run("python3", ["-c", script])
            let words = result.stdoutText.split(separator: " ")
            let sent = Int(words.first ?? "") ?? Int.max
            #expect(sent < 64 << 20, "the server kept reading: \(sent) bytes sent")
            #expect(result.stdoutText.contains("413"), "\(result.stdoutText) \(result.stderrText)")
            #expect(try relay.lines("all.jsonl").isEmpty)
        }
    }
}
