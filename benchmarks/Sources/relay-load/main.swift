// A load generator that signs like Svix: every request has a fresh message id, the current timestamp and a valid
// `v1` signature over a real Engage body. Closed loop (N connections, as fast as answered) finds the maximum rate;
// open loop (fixed rate, latency measured from each request's scheduled time) measures latency without
// coordinated omission. Prints one JSON object with the results.
import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import WebhookVerification

@main
struct RelayLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "relay-load", abstract: "Signed webhook load.")

    @Option(help: "Where to POST.") var url = "http://127.0.0.1:8080/webhooks/engage"
    @Option(help: "The signing secret.") var secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    @Option(help: "Concurrent connections (closed loop) or the in-flight cap (open loop).") var connections = 64
    @Option(help: "Seconds to run.") var seconds = 10.0
    @Option(help: "Requests per second (open loop); 0 = closed loop.") var rate = 0.0
    @Option(help: "Folder of bodies to cycle through.") var bodies = "examples/events"
    @Flag(help: "Send one 64 KiB body among the samples.") var large = false
    @Flag(help: "Send a bare empty POST with no signature (for a no-work HTTP baseline).") var unsigned = false
    @Option(help: "A label for the output.") var label = "run"
    @Option(help: "Also send HMAC-SHA256(body) in this header as `sha256=HEX` (for adnanh/webhook's payload-hmac-sha256 rule).")
    var hmacHeader: String?
    @Option(help: "The key for --hmac-header.") var hmacSecret = "bench-secret"

    func run() async throws {
        var loaded = try FileManager.default.contentsOfDirectory(atPath: bodies)
            .filter { $0.hasSuffix(".json") && $0 != "INDEX.json" }.sorted()
            .map { Array(try Data(contentsOf: URL(fileURLWithPath: bodies).appendingPathComponent($0))) }
        if large {
            let padding = String(repeating: "x", count: 64 * 1024 - 120)
            loaded.append(Array(#"{"eventType":"contact.updated","id":"large","payload":{"contactId":"c","note":"\#(padding)"},"tenant":"t"}"#.utf8))
        }
        let samples = loaded
        let url = self.url
        let unsigned = self.unsigned
        let hmac = hmacHeader.map { ($0, SymmetricKey(data: Data(hmacSecret.utf8))) }
        let signer = WebhookSigner(secret: try WebhookSecret(secret))
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let stats = Stats()
        let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let counter = Counter()
        let start = ContinuousClock.now
        let end = start + .seconds(seconds)

        @Sendable func send(scheduled: ContinuousClock.Instant) async {
            let n = counter.next()
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            if !unsigned {
                let body = samples[n % samples.count]
                let id = "msg_\(runID)_\(n)"
                let timestamp = Int64(Date().timeIntervalSince1970)
                request.headers.add(name: "svix-id", value: id)
                request.headers.add(name: "svix-timestamp", value: String(timestamp))
                request.headers.add(
                    name: "svix-signature", value: signer.signature(messageId: id, timestamp: timestamp, body: body))
                request.headers.add(name: "content-type", value: "application/json")
                if let (header, key) = hmac {
                    let mac = HMAC<SHA256>.authenticationCode(for: body, using: key)
                    request.headers.add(name: header, value: "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
                }
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            do {
                let response = try await client.execute(request, timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 1 << 20)
                stats.record(status: Int(response.status.code), latency: ContinuousClock.now - scheduled)
            } catch {
                stats.record(status: 0, latency: ContinuousClock.now - scheduled)
            }
        }

        if rate > 0 {
            let interval = Duration.seconds(1 / rate)
            await withTaskGroup(of: Void.self) { group in
                var scheduled = start
                var inFlight = 0
                while scheduled < end {
                    if scheduled > ContinuousClock.now { try? await Task.sleep(until: scheduled) }
                    if inFlight >= connections * 16 {
                        await group.next()
                        inFlight -= 1
                    }
                    let at = scheduled
                    group.addTask { await send(scheduled: at) }
                    inFlight += 1
                    scheduled += interval
                }
            }
        } else {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<connections {
                    group.addTask {
                        while ContinuousClock.now < end { await send(scheduled: ContinuousClock.now) }
                    }
                }
            }
        }
        let elapsed = (ContinuousClock.now - start).seconds
        try await client.shutdown()
        print(stats.report(label: label, elapsed: elapsed, connections: connections, rate: rate))
    }
}

final class Counter: Sendable {
    private let value = Mutex(0)

    func next() -> Int {
        value.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}

final class Stats: Sendable {
    private struct State {
        var latencies: [Double] = []
        var statuses: [Int: Int] = [:]
    }

    private let state = Mutex(State())

    func record(status: Int, latency: Duration) {
        state.withLock {
            $0.latencies.append(latency.seconds)
            $0.statuses[status, default: 0] += 1
        }
    }

    func report(label: String, elapsed: Double, connections: Int, rate: Double) -> String {
        state.withLock { state in
            let sorted = state.latencies.sorted()
            func percentile(_ p: Double) -> Double {
                sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000
            }
            let ok = state.statuses.filter { (200..<300).contains($0.key) }.values.reduce(0, +)
            let errors = state.statuses.filter { !(200..<300).contains($0.key) }
            let fields: [String] = [
                "\"label\":\"\(label)\"", "\"connections\":\(connections)", "\"target_rate\":\(rate)",
                "\"seconds\":\(String(format: "%.2f", elapsed))", "\"ok\":\(ok)",
                "\"rate\":\(String(format: "%.1f", Double(ok) / elapsed))",
                "\"p50_ms\":\(String(format: "%.2f", percentile(0.5)))", "\"p90_ms\":\(String(format: "%.2f", percentile(0.9)))",
                "\"p99_ms\":\(String(format: "%.2f", percentile(0.99)))",
                "\"p999_ms\":\(String(format: "%.2f", percentile(0.999)))",
                "\"errors\":{\(errors.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ","))}",
            ]
            return "{" + fields.joined(separator: ",") + "}"
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
