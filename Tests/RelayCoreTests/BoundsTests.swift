import EngageEvents
import Foundation
import MetricsTestKit
import Testing

@testable import RelayCore

@Suite("Memory and label bounds")
struct BoundsTests {
    static func event(_ n: Int, bodyBytes: Int) -> EngageEvent {
        EngageEvent(
            id: "e\(n)", messageId: "msg_\(n)", type: .contactCreated, tenant: nil, receivedAt: Date(),
            isEncrypted: false, payload: .null, body: Array(repeating: UInt8(ascii: "x"), count: bodyBytes))
    }

    @Test("the cache of decoded events is bounded by bytes as well as by count, oldest out first")
    func recentEventsAreBoundedByBytes() {
        let recent = RecentEvents(capacity: 1000, maxBytes: 10_000)
        for n in 0..<100 { recent.remember(Self.event(n, bodyBytes: 1000)) }
        #expect(recent.bytes <= 10_000)
        #expect(recent.count == 10_000 / RecentEvents.cost(of: Self.event(0, bodyBytes: 1000)))
        #expect(recent.event(messageId: "msg_99") != nil)
        #expect(recent.event(messageId: "msg_0") == nil)
        recent.remember(Self.event(1000, bodyBytes: 20_000))
        #expect(recent.event(messageId: "msg_1000") == nil, "an event larger than the whole budget is not kept")
        #expect(recent.event(messageId: "msg_99") != nil, "and evicts nothing")
        let counted = RecentEvents(capacity: 3)
        for n in 0..<10 { counted.remember(Self.event(n, bodyBytes: 10)) }
        #expect(counted.count == 3)
    }

    @Test("event types outside the known set count as `other`, so a sender cannot mint metric series")
    func unknownTypesShareOneLabel() throws {
        let factory = TestMetrics()
        let metrics = RelayMetrics(factory: factory)
        metrics.event(type: "contact.created")
        for n in 0..<50 { metrics.event(type: "invented.type.\(n)") }
        metrics.event(type: "")
        let other = try factory.expectCounter("engage_relay_events_total", [("type", "other")])
        #expect(other.totalValue == 50)
        #expect(try factory.expectCounter("engage_relay_events_total", [("type", "contact.created")]).totalValue == 1)
        #expect(try factory.expectCounter("engage_relay_events_total", [("type", "unknown")]).totalValue == 1)
    }
}
