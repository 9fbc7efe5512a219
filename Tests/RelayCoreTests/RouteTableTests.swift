import EngageEvents
import Foundation
import RelayCore
import Testing

@Suite struct RouteTableTests {
    func event(_ type: String) -> EngageEvent {
        EngageEvent(
            id: "1", messageId: "m", type: EventType(type), tenant: nil, receivedAt: Date(), isEncrypted: false,
            payload: .null, body: [])
    }

    @Test(arguments: [
        ("*", "contact.created", true), ("*", "order.returned", true),
        ("contact.*", "contact.created", true), ("contact.*", "contact.acceptsEmail.changed", true),
        ("contact.*", "contact", false), ("contact.*", "contact.", false), ("contact.*", "contacts.created", false),
        ("contact.*", "point.balance.updated", false), ("contact.created", "contact.created", true),
        ("contact.created", "Contact.created", false), ("point.balance.*", "point.balance.updated", true),
    ])
    func patternsMatchExactPrefixAndAny(pattern: String, type: String, matches: Bool) throws {
        let parsed = try #require(EventPattern(pattern))
        #expect(parsed.matches(EventType(type)) == matches)
        #expect(parsed.description == pattern)
    }

    @Test(arguments: ["contact*", "*.created", "", "contact.*.x", "a b", "con/tact", "**"])
    func otherGlobsAreNotPatterns(text: String) {
        #expect(EventPattern(text) == nil)
    }

    @Test func anEventReachesEverySinkOfEveryMatchingRouteOnce() {
        let table = RouteTable([
            Route(patterns: [.exact(.contactCreated)], sinks: ["welcome", "contacts"]),
            Route(patterns: [.prefix("contact")], sinks: ["audit", "contacts"]),
            Route(patterns: [.any], sinks: ["ops", "welcome"]),
            Route(patterns: [.exact(.pointBalanceUpdated)], sinks: ["erp"]),
        ])
        #expect(table.match(event("contact.created")) == ["welcome", "contacts", "audit", "ops"])
        #expect(table.match(event("contact.deleted")) == ["audit", "contacts", "ops", "welcome"])
        #expect(table.match(event("order.returned")) == ["ops", "welcome"])
        #expect(RouteTable([]).match(event("contact.created")).isEmpty)
    }
}
