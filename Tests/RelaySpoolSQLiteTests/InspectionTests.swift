import Foundation
import RelayCore
import Testing

@testable import RelaySpoolSQLite

@Suite("Listing and inspecting events")
struct InspectionTests {
    let t0 = SpoolFixture.t0

    /// Five events: 1 and 2 `contact.created` to a and b, 3 `point.balance.updated` to b, 4 unrouted, 5 to a.
    func filled(_ fixture: SpoolFixture) async throws -> SQLiteSpool {
        let spool = try fixture.open()
        _ = try await spool.append(SpoolFixture.record("1", at: t0 + 1))
        _ = try await spool.append(SpoolFixture.record("2", at: t0 + 2))
        _ = try await spool.append(SpoolFixture.record("3", sinks: ["b"], type: "point.balance.updated", at: t0 + 3))
        _ = try await spool.append(SpoolFixture.record("4", sinks: [], state: .unrouted, at: t0 + 4))
        _ = try await spool.append(SpoolFixture.record("5", sinks: ["a"], at: t0 + 5))
        let claimed = try await spool.claim(sink: "b", limit: 1, now: t0 + 10)
        _ = try await spool.complete([DeliveryResult(claimed[0], .failed, error: "HTTP 400", at: t0 + 10)])
        return spool
    }

    @Test(
        "each query field narrows the listing, newest first",
        arguments: [
            (EventQuery(), ["5", "4", "3", "2", "1"]),
            (EventQuery(limit: 2), ["5", "4"]),
            (EventQuery(type: "contact.created"), ["5", "4", "2", "1"]),
            (EventQuery(deliveryState: .failed), ["1"]),
            (EventQuery(deliveryState: .pending), ["5", "3", "2", "1"]),
            (EventQuery(eventState: .unrouted), ["4"]),
            (EventQuery(sink: "b"), ["3", "2", "1"]),
            (EventQuery(deliveryState: .pending, sink: "b"), ["3", "2"]),
            (EventQuery(since: SpoolFixture.t0 + 2, until: SpoolFixture.t0 + 4), ["3", "2"]),
            (EventQuery(type: "contact.created", sink: "a", since: SpoolFixture.t0 + 2), ["5", "2"]),
        ]
    )
    func listing(query: EventQuery, expected: [String]) async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try await filled(fixture)

        let events = try await spool.events(query)
        #expect(events.map(\.messageId) == expected.map { "msg_\($0)" })
        #expect(events.allSatisfy { $0.body == nil }, "listings leave bodies out")
        try await spool.close()
    }

    @Test("a listed event carries its fields and deliveries")
    func listedEventFields() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try await filled(fixture)

        let event = try #require(try await spool.events(EventQuery(deliveryState: .failed)).first)
        #expect(event.eventId == "evt_1")
        #expect(event.type == "contact.created")
        #expect(event.tenant == "se")
        #expect(event.receivedAt == t0 + 1)
        #expect(event.state == .routed)
        #expect(event.reason == nil)
        #expect(
            event.deliveries == [
                StoredDelivery(sink: "a", state: .pending, attempts: 0, nextAttemptAt: t0 + 1, lastError: nil),
                StoredDelivery(sink: "b", state: .failed, attempts: 1, nextAttemptAt: t0 + 10, lastError: "HTTP 400"),
            ])
        try await spool.close()
    }

    @Test("one event is found by message id or event id, with its body")
    func eventById() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try await filled(fixture)

        let byMessage = try #require(try await spool.event("msg_3"))
        let byEvent = try #require(try await spool.event("evt_3"))
        #expect(byMessage == byEvent)
        #expect(byMessage.body == SpoolFixture.record("3").body)
        #expect(try await spool.event("evt_nothing") == nil)
        try await spool.close()
    }

    @Test("depth counts deliveries by sink and state with the oldest receipt")
    func depth() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try await filled(fixture)
        _ = try await spool.claim(sink: "a", limit: 1, now: t0 + 10)

        #expect(
            try await spool.depth() == [
                DepthRow(sink: "a", state: .inFlight, count: 1, oldestReceivedAt: t0 + 1),
                DepthRow(sink: "a", state: .pending, count: 2, oldestReceivedAt: t0 + 2),
                DepthRow(sink: "b", state: .failed, count: 1, oldestReceivedAt: t0 + 1),
                DepthRow(sink: "b", state: .pending, count: 2, oldestReceivedAt: t0 + 2),
            ])
        try await spool.close()
    }
}
