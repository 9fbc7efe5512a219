// A load generator that signs like Svix: every request has a fresh message id, the current timestamp and a valid
// `v1` signature over a real Engage body. Closed loop (N connections, as fast as answered) finds the maximum rate;
// open loop (fixed rate, latency measured from each request's scheduled time) measures latency without
// coordinated omission. Prints one JSON object with the results. `--presign` (open loop only) signs every request
// before the clock starts and sends them over plain NIO connections (PresignedOpenLoop below).
import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
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
    @Flag(help: """
        Open loop only: sign every request before the clock starts and send them over plain NIO HTTP/1.1 \
        connections on one event loop instead of AsyncHTTPClient.
        """)
    var presign = false

    func validate() throws {
        if presign && rate <= 0 { throw ValidationError("--presign needs --rate") }
        if presign && unsigned { throw ValidationError("--presign signs; drop --unsigned") }
    }

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
        if presign {
            try await runPresigned(samples: samples, signer: signer, hmac: hmac)
            return
        }
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

extension RelayLoad {
    func runPresigned(samples: [[UInt8]], signer: WebhookSigner, hmac: (String, SymmetricKey)?) async throws {
        guard let parsed = URL(string: url), let host = parsed.host else { throw ValidationError("bad --url \(url)") }
        let port = parsed.port ?? 80
        let path = parsed.path.isEmpty ? "/" : parsed.path
        let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let timestamp = Int64(Date().timeIntervalSince1970)
        let count = max(1, Int((rate * seconds).rounded()))
        let requests = (0..<count).map { n -> PresignedRequest in
            let body = samples[n % samples.count]
            let id = "msg_\(runID)_\(n)"
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "\(host):\(port)")
            headers.add(name: "svix-id", value: id)
            headers.add(name: "svix-timestamp", value: String(timestamp))
            let signature = signer.signature(messageId: id, timestamp: timestamp, body: body)
            headers.add(name: "svix-signature", value: signature)
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: String(body.count))
            if let (header, key) = hmac {
                let mac = HMAC<SHA256>.authenticationCode(for: body, using: key)
                headers.add(name: header, value: "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
            }
            return PresignedRequest(
                head: HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers),
                body: ByteBuffer(bytes: body))
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let stats = Stats()
        let client = PresignedOpenLoop(
            loop: group.next(), host: host, port: port, requests: requests, rate: rate, connections: connections,
            stats: stats)
        let elapsed = try await client.run()
        try await group.shutdownGracefully()
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

// `relay-load --presign --rate R`: every request is built and signed before the clock starts, then sent open loop
// over plain NIO HTTP/1.1 connections on one event loop. AsyncHTTPClient's per-request cost (a task, a pool lease,
// a request and response object) put relay-load's own p99 near 10–14 ms against a bare 204 server at 1–2k/s on
// the project's two shared cores; this path keeps the generator's share of the latency and of the CPU small.

struct PresignedRequest {
    var head: HTTPRequestHead
    var body: ByteBuffer
}

/// Sends `requests[i]` at `start + i / rate`, each on the longest idle connection (FIFO, so that none idles past
/// the server's keep-alive limit), and records its latency from that scheduled time: a request that finds no idle
/// connection waits for one, and the wait counts (no coordinated omission). Every mutation runs on `loop`.
final class PresignedOpenLoop: @unchecked Sendable {
    private let loop: any EventLoop
    private let requests: [PresignedRequest]
    private let interval: Int64
    private let host: String
    private let port: Int
    private let stats: Stats
    private var channels: [(any Channel)?]
    private var inFlight: [Int?]
    private var idle: [Int] = []
    private var next = 0
    private var completed = 0
    private var running = false
    private var start = NIODeadline.now()
    private var finish = NIODeadline.now()
    private var wakeUp: Scheduled<Void>?
    private let done: EventLoopPromise<Void>

    init(loop: any EventLoop, host: String, port: Int, requests: [PresignedRequest], rate: Double, connections: Int,
         stats: Stats) {
        self.loop = loop
        self.host = host
        self.port = port
        self.requests = requests
        self.interval = Int64(1e9 / rate)
        self.stats = stats
        self.channels = Array(repeating: nil, count: connections)
        self.inFlight = Array(repeating: nil, count: connections)
        self.done = loop.makePromise()
    }

    /// Connects every connection, then runs until every request is answered or failed (or 30 s after the last was
    /// due); returns the seconds from the first scheduled send to the last answer.
    func run() async throws -> Double {
        let connected = (0..<channels.count).map { connect(slot: $0) }
        _ = try await EventLoopFuture.whenAllSucceed(connected, on: loop).get()
        try await loop.submit {
            self.start = .now()
            self.running = true
            self.loop.scheduleTask(deadline: self.start + .nanoseconds(self.interval * Int64(self.requests.count))
                + .seconds(30)) { self.giveUp() }
            self.pump()
        }.get()
        try await done.futureResult.get()
        return try await loop.submit { Double((self.finish - self.start).nanoseconds) / 1e9 }.get()
    }

    private func connect(slot: Int) -> EventLoopFuture<Void> {
        ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseHandler(client: self, slot: slot))
                }
            }
            .connect(host: host, port: port)
            .map { channel in
                self.channels[slot] = channel
                self.idle.append(slot)
                self.pump()
            }
    }

    /// Sends what is due on the idle connections, then sleeps until the next request is due.
    private func pump() {
        guard running, completed < requests.count else { return }
        let now = NIODeadline.now()
        let due = min(requests.count, Int((now - start).nanoseconds / interval) + 1)
        while next < due, !idle.isEmpty {
            let slot = idle.removeFirst()
            guard let channel = channels[slot] else { continue }
            inFlight[slot] = next
            let request = requests[next]
            channel.write(HTTPClientRequestPart.head(request.head), promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(request.body)), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            next += 1
        }
        wakeUp?.cancel()
        wakeUp = nil
        if next < requests.count, !idle.isEmpty {
            wakeUp = loop.scheduleTask(deadline: start + .nanoseconds(interval * Int64(next))) { self.pump() }
        }
    }

    fileprivate func answered(slot: Int, status: Int) {
        guard let index = inFlight[slot] else { return }
        inFlight[slot] = nil
        record(index: index, status: status)
        idle.append(slot)
        pump()
    }

    fileprivate func closed(slot: Int) {
        channels[slot] = nil
        idle.removeAll { $0 == slot }
        if let index = inFlight[slot] {
            inFlight[slot] = nil
            record(index: index, status: 0)
        }
        if next < requests.count { _ = connect(slot: slot) }
    }

    private func record(index: Int, status: Int) {
        let now = NIODeadline.now()
        let scheduled = start + .nanoseconds(interval * Int64(index))
        stats.record(status: status, latency: .nanoseconds((now - scheduled).nanoseconds))
        completed += 1
        finish = now
        if completed == requests.count { close() }
    }

    private func giveUp() {
        guard completed < requests.count else { return }
        for _ in completed..<requests.count { stats.record(status: 0, latency: .seconds(30)) }
        completed = requests.count
        next = requests.count
        inFlight = inFlight.map { _ in nil }
        finish = .now()
        close()
    }

    private func close() {
        running = false
        wakeUp?.cancel()
        for case let channel? in channels { channel.close(promise: nil) }
        done.succeed()
    }
}

private final class ResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let client: PresignedOpenLoop
    private let slot: Int
    private var status = 0

    init(client: PresignedOpenLoop, slot: Int) {
        self.client = client
        self.slot = slot
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body: break
        case .end: client.answered(slot: slot, status: status)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.closed(slot: slot)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
