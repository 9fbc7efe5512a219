import CoreMetrics
import Foundation
import RelayCore
import Synchronization
import Testing

/// A metrics backend that keeps every counter's total by label and dimensions.
final class CountingMetrics: MetricsFactory {
    final class Count: CounterHandler {
        let total = Mutex<Int64>(0)
        func increment(by amount: Int64) { total.withLock { $0 += amount } }
        func reset() { total.withLock { $0 = 0 } }
    }

    private let counters = Mutex<[String: Count]>([:])

    /// `label{name=value,…}` → total.
    var totals: [String: Int64] { counters.withLock { $0.mapValues { $0.total.withLock { $0 } } } }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let key = label + "{" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
        return counters.withLock { counters in
            if let existing = counters[key] { return existing }
            let made = Count()
            counters[key] = made
            return made
        }
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        NOOPMetricsHandler.instance
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { NOOPMetricsHandler.instance }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { NOOPMetricsHandler.instance }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

@Suite struct RelayMetricsTests {
    @Test func undeliverableBodiesAreCountedByTheirStableCodeAndAnythingElseAsOther() {
        let backend = CountingMetrics()
        let metrics = RelayMetrics(factory: backend)
        for code in UndeliverableReason.codes.sorted() { metrics.undeliverable(reason: code) }
        metrics.undeliverable(reason: "no_decryption_key")
        metrics.undeliverable(reason: "something_new")
        metrics.undeliverable(reason: "\u{1F}{}=,\"")
        let totals = backend.totals
        #expect(totals.count == UndeliverableReason.codes.count + 1, "\(totals)")
        #expect(totals["engage_relay_undeliverable_total{reason=no_decryption_key}"] == 2)
        #expect(totals["engage_relay_undeliverable_total{reason=invalid_json}"] == 1)
        #expect(totals["engage_relay_undeliverable_total{reason=other}"] == 2)
    }

    @Test func theDecoderGivesOnlyCodesOfTheBoundedSet() throws {
        let decoder = EventDecoder()
        let bodies = [
            "not json", "[1]", #"{"payload":{}}"#, #"{"eventType":"a.b","isEncrypted":true,"payload":{}}"#,
            #"{"eventType":"a.b","isEncrypted":true,"payload":"abc"}"#,
        ]
        for body in bodies {
            let reason = #expect(throws: UndeliverableReason.self) {
                _ = try decoder.decode(Array(body.utf8), messageId: "msg_1", receivedAt: Date())
            }
            #expect(UndeliverableReason.codes.contains(reason?.code ?? "-"), "\(body): \(String(describing: reason))")
        }
    }
}
