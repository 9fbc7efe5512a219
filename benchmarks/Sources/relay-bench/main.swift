// Micro-benchmarks of the per-request work: signature verification, envelope decode, route matching with
// filters, and config parsing. Run in release: `swift run -c release --package-path benchmarks relay-bench`
// (benchmarks/run does).
import EngageEvents
import Foundation
import RelayConfig
import RelayCore
import RelayPlanning
import WebhookVerification

struct Row {
    var name: String
    var nanosecondsPerOp: Double
    var operations: Int
    var allocationsPerOp: Double?
}

/// The allocation counter of benchmarks/malloc-count.c when it is preloaded (`LD_PRELOAD`), else nil.
let allocationCount: (@convention(c) () -> UInt64)? = {
    // RTLD_DEFAULT is the null handle on glibc.
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "relay_malloc_count") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) () -> UInt64).self)
}()

/// Runs `body` repeatedly for about `seconds` after a warm-up and returns ns per call.
func measure(_ name: String, seconds: Double = 1.0, _ body: () throws -> Void) rethrows -> Row {
    for _ in 0..<200 { try body() }
    var allocations: Double?
    if let allocationCount {
        let before = allocationCount()
        for _ in 0..<1000 { try body() }
        allocations = Double(allocationCount() - before) / 1000
    }
    var operations = 0
    let clock = ContinuousClock()
    let start = clock.now
    var elapsed = Duration.zero
    while elapsed < .seconds(seconds) {
        for _ in 0..<100 { try body() }
        operations += 100
        elapsed = clock.now - start
    }
    return Row(
        name: name, nanosecondsPerOp: elapsed.seconds * 1e9 / Double(operations), operations: operations,
        allocationsPerOp: allocations)
}

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let samples = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("examples/events").path)
    .filter { $0.hasSuffix(".json") && $0 != "INDEX.json" }.sorted()
    .map { Array(try Data(contentsOf: root.appendingPathComponent("examples/events/\($0)"))) }

let secret = try WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
let timestamp: Int64 = 1_700_000_000
let signer = WebhookSigner(secret: secret)
let verifier = SignatureVerifier(secrets: [secret], clock: .fixed(timestamp))
let signed = samples.enumerated().map { index, body in
    (
        WebhookHeaders(
            id: "msg_bench\(index)", timestamp: String(timestamp),
            signature: signer.signature(messageId: "msg_bench\(index)", timestamp: timestamp, body: body)), body
    )
}

let configText = """
    listen 127.0.0.1:8080
    verify { secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw; tolerance 5m }
    sink contacts file { path /tmp/contacts.jsonl }
    sink erp file { path /tmp/erp.jsonl }
    sink audit file { path /tmp/audit.jsonl }
    route contact.* -> contacts
    route point.balance.updated where payload.balance > 1000 and tenant == "voyadodemo" -> erp
    route reward.voucher.created where payload.currency in ["SEK", "NOK"] and payload.amount >= 100 -> erp
    route * where not type in ["contact.deleted"] -> audit
    """
final class DummySink: Sink {
    static let kind = "file"
    static let summary = "benchmark stand-in"
    static let options = [SinkOption("path", .path, required: true, doc: "unused")]
    init(configuration: SinkConfiguration, context: SinkContext) {}
    func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] { batch.map { _ in .delivered } }
}
let registry = SinkRegistry().adding(DummySink.self)
let source = SourceFile(path: "bench.conf", text: configText)
guard let plan = RelayPlan.validate(ConfigParser.parse(source).document, registry: registry, environment: [:]).plan else {
    fatalError("benchmark config does not validate")
}
let events = try samples.map { try EngageEvent(decoding: $0, messageId: "msg_x", receivedAt: Date()) }

var sink = 0
var rows: [Row] = []
var index = 0
rows.append(
    try measure("verify signature (v1, sample bodies ~0.3 KiB)") {
        let (headers, body) = signed[index % signed.count]
        index += 1
        sink &+= try verifier.verify(headers: headers, body: body).body.count
    })
let large = Array(repeating: UInt8(ascii: "a"), count: 64 * 1024)
let largeHeaders = WebhookHeaders(
    id: "msg_large", timestamp: String(timestamp),
    signature: signer.signature(messageId: "msg_large", timestamp: timestamp, body: large))
rows.append(
    try measure("verify signature (v1, 64 KiB body)") {
        sink &+= try verifier.verify(headers: largeHeaders, body: large).body.count
    })
rows.append(
    try measure("decode envelope (sample bodies)") {
        let body = samples[index % samples.count]
        index += 1
        sink &+= try EngageEvent(decoding: body, messageId: "msg_x", receivedAt: Date()).id.count
    })
rows.append(
    measure("route match, 4 routes, 3 with where filters") {
        sink &+= plan.routes.match(events[index % events.count]).count
        index += 1
    })
rows.append(
    measure("decode + route match (sample bodies)") {
        let body = samples[index % samples.count]
        index += 1
        if let event = try? EngageEvent(decoding: body, messageId: "msg_x", receivedAt: Date()) {
            sink &+= plan.routes.match(event).count
        }
    })
rows.append(
    measure("parse + validate the config above", seconds: 0.5) {
        let parsed = ConfigParser.parse(source)
        sink &+= RelayPlan.validate(parsed.document, registry: registry, environment: [:]).diagnostics.count
    })

print("| benchmark | ns/op | allocations/op | ops measured |")
print("|---|---:|---:|---:|")
for row in rows {
    let allocations = row.allocationsPerOp.map { String(format: "%.1f", $0) } ?? "-"
    print("| \(row.name) | \(String(format: "%.0f", row.nanosecondsPerOp)) | \(allocations) | \(row.operations) |")
}
if sink == 42 { print("") }  // keeps the optimizer from dropping the work
