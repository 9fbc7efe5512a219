import EngageEvents
import Foundation
import RelayConfig
import RelayCore
import RelayPlanning
import RelayTesting
import Testing

/// `where` filters over the sample bodies in `examples/events/`.
@Suite struct FilterTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/events")

    static func event(_ name: String) throws -> EngageEvent {
        let body = Array(try Data(contentsOf: samples.appendingPathComponent(name + ".json")))
        return try EngageEvent(decoding: body, messageId: "msg_x", receivedAt: Date())
    }

    static func compile(_ expression: String) -> (RouteFilter?, [Diagnostic]) {
        let text = "verify { secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw }\nsink a memory {}\nroute * where \(expression) -> a\n"
        let parsed = ConfigParser.parse(SourceFile(path: "f.conf", text: text))
        let (plan, diagnostics) = RelayPlan.validate(
            parsed.document, registry: SinkRegistry.empty.adding(InMemorySink.self), environment: [:])
        return (plan?.routes.routes.first?.filter, parsed.diagnostics + diagnostics.filter { $0.severity == .error })
    }

    static let cases: [(sample: String, expression: String, expected: Bool)] = [
        ("point.balance.updated", "payload.balance > 2500.7", true),
        ("point.balance.updated", "payload.balance > 2500.75", false),
        ("point.balance.updated", "payload.balance >= 2500.75", true),
        ("point.balance.updated", "payload.balance == 2500.75", true),
        ("point.balance.updated", "payload.balance == 2500.750", true),
        ("point.balance.updated", "payload.balance < 2500.76", true),
        ("point.balance.updated", "payload.balance <= 2500.74", false),
        ("point.balance.updated", "payload.balance != 2500.75", false),
        ("point.balance.updated", "payload.balance>1000 and tenant==\"voyadodemo\"", true),
        ("point.balance.updated", "payload.balance > 1000 and tenant == \"se\"", false),
        ("point.balance.updated", "payload.balance > 1000 or tenant == \"se\"", true),
        ("point.balance.updated", "payload.BALANCE > 1000", true),
        ("point.balance.updated", "payload.accountId in [1, 2, 123]", true),
        ("point.balance.updated", "payload.accountId in [1, 2]", false),
        ("point.balance.updated", "payload.definitionId == \"1\"", true),
        ("point.balance.updated", "payload.definitionId == 1", true),
        ("point.balance.updated.numeric-definition", "payload.definitionId == \"1\"", true),
        ("point.balance.updated.numeric-definition", "payload.definitionId == 1", true),
        ("point.balance.updated", "payload.balanceExpires < \"2025-01-01\"", true),
        ("point.balance.updated", "payload.missing exists", false),
        ("point.balance.updated", "payload.missing == 1", false),
        ("point.balance.updated", "payload.missing != 1", false),
        ("point.balance.updated", "not payload.missing exists", true),
        ("point.balance.updated", "not (payload.missing == 1)", true),
        ("point.balance.updated", "payload.balance == \"abc\"", false),
        ("point.balance.updated", "payload.balance != \"abc\"", true),
        ("point.balance.updated", "payload.contactId == 5", false),
        ("point.balance.updated", "payload.balance.deeper exists", false),
        ("point.balance.updated", "payload[0] exists", false),
        ("point.balance.updated", "payload exists", true),
        ("contact.created", "type == \"contact.created\"", true),
        ("contact.created", "type != \"contact.created\"", false),
        ("contact.created", "type in [\"contact.updated\", \"contact.created\"]", true),
        ("contact.created", "id == \"e2a9c3f0-5b6d-4e7f-8a9b-0c1d2e3f4a5b\"", true),
        ("contact.created", "payload.email exists and payload.contactType == \"Member\"", true),
        ("contact.created", "payload.firstName == \"Åsa\"", true),
        ("contact.created", "payload.firstname == \"Åsa\"", true),
        ("contact.created", "(payload.contactType == \"Member\" or payload.x == 1) and not tenant == \"se\"", true),
        ("contact.created", "payload.contactType == \"member\"", false),
        ("reward.voucher.created", "payload.amount == 100", true),
        ("reward.voucher.created", "payload.Currency == \"SEK\" and payload.amount >= 100.0", true),
        ("reward.voucher.created", "payload.validTo > payload.validFrom", false),
        ("contact.consent.changed", "payload.consents[0].id == \"memberConsent\"", true),
        ("contact.acceptsEmail.changed", "payload.acceptsEmail == true", false),
        ("contact.acceptsEmail.changed", "payload.acceptsEmail == false", true),
        ("contact.acceptsEmail.changed", "payload.acceptsEmail != null", true),
        ("unknown.future.event", "type == \"order.returned\" and payload.orderId == \"SO-1002\"", true),
        ("unknown.future.event", "tenant exists", true),
    ]

    @Test(arguments: cases)
    func filtersEvaluateOverTheSamples(sample: String, expression: String, expected: Bool) throws {
        let (filter, diagnostics) = Self.compile(expression)
        if expression.contains("payload.validFrom") {
            #expect(filter == nil, "a field on the right is not a value")
            return
        }
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        let compiled = try #require(filter)
        #expect(compiled.evaluate(try Self.event(sample)) == expected, "\(expression) on \(sample)")
    }

    @Test func arrayIndexesAndNestedPathsAreFollowed() throws {
        let body = #"{"eventType":"x","payload":{"Items":[{"sku":"A-1","qty":2},{"sku":"B"}],"meta":{"Deep":{"n":null}}}}"#
        let event = try EngageEvent(decoding: Array(body.utf8), messageId: "m", receivedAt: Date())
        for (expression, expected) in [
            ("payload.items[0].sku == \"A-1\"", true), ("payload.items[1].sku == \"B\"", true),
            ("payload.items[2].sku exists", false), ("payload.items[0].qty > 1", true),
            ("payload.meta.deep.n == null", true), ("payload.meta.deep.n exists", true),
            ("payload.meta.deep.m exists", false), ("payload.items[0] exists", true),
        ] {
            let filter = try #require(Self.compile(expression).0, "\(expression)")
            #expect(filter.evaluate(event) == expected, "\(expression)")
        }
    }

    static let mistakes: [(expression: String, column: Int, message: String)] = [
        ("payload.balance >", 32, "expected a value, found `end of the filter`"),
        ("payload.balance = 5", 31, "`=` is not an operator"),
        ("balance > 5", 15, "unknown field `balance`"),
        ("tenant == 5", 25, "`tenant` is a string; 5 can never match it"),
        ("type == se", 23, "expected a value, found `se`"),
        ("payload.x > true", 27, "`>` cannot order booleans"),
        ("payload.x < null", 27, "`<` cannot order null"),
        ("(payload.x == 1", 30, "expected `)`"),
        ("payload.x == 1 payload.y == 2", 30, "unexpected `payload.y` in the filter"),
        ("payload.x in 1, 2", 28, "expected `[` after `in`"),
        ("payload.x in [1 2]", 31, "expected `,` or `]` in the list"),
        ("payload.x == \"open", 28, "unterminated string"),
        ("5 == payload.x", 15, "expected a field (type, tenant, id, payload.PATH), found `5`"),
        ("payload.x like 5", 25, "expected an operator after `payload.x`, found `like`"),
        ("payload..x == 1", 15, "empty key in path `payload..x`"),
        ("", 16, "`where` needs an expression"),
        ("typ == \"x\"", 15, "unknown field `typ`"),
    ]

    @Test(arguments: mistakes)
    func malformedFiltersAreDiagnosedAtTheirExactLocation(expression: String, column: Int, message: String) {
        let (filter, diagnostics) = Self.compile(expression)
        #expect(filter == nil)
        let first = diagnostics.first
        #expect(first?.message == message, "\(expression): \(diagnostics.map(\.message))")
        #expect(first?.range.start.line == 3)
        #expect(first?.range.start.column == column, "\(expression)")
    }

    @Test func unknownFieldsGetADidYouMean() {
        #expect(Self.compile("typ == \"x\"").1.first?.suggestion == "did you mean `type`?")
        #expect(Self.compile("tenent == \"x\"").1.first?.suggestion == "did you mean `tenant`?")
    }

    @Test func aRouteWithAFilterOnlyMatchesWhenItHolds() throws {
        let route = Route(
            patterns: [.exact(.pointBalanceUpdated)], filter: Self.compile("payload.balance > 1000").0, sinks: ["a"])
        #expect(route.matches(try Self.event("point.balance.updated")))
        #expect(!route.matches(try Self.event("contact.created")))
        let strict = Route(patterns: [.any], filter: Self.compile("payload.balance > 3000").0, sinks: ["a"])
        #expect(!strict.matches(try Self.event("point.balance.updated")))
    }

    /// Parentheses and `not` nest at most `FilterParser.maximumNesting` deep: deeper input used to overflow the stack
    /// of `check` and `serve`; now the level past the limit is reported where it opens, and nothing recurses further.
    /// `column` is where the 65th level opens: column 15 is the first character after `route * where `.
    @Test(arguments: [("(", ")", 15 + 64), ("not ", "", 15 + 64 * 4), ("not (", ")", 15 + 32 * 5)])
    func filtersNestedTooDeeplyAreAnErrorAtTheLevelPastTheLimit(open: String, close: String, column: Int) throws {
        let levels = 100_000
        let expression =
            String(repeating: open, count: levels) + "payload.x == 1" + String(repeating: close, count: levels)
        let (filter, diagnostics) = Self.compile(expression)
        #expect(filter == nil)
        let diagnostic = try #require(diagnostics.first)
        #expect(diagnostics.count == 1)
        #expect(diagnostic.message == "the filter nests parentheses and `not` more than 64 deep")
        #expect(diagnostic.suggestion == "remove redundant parentheses, or split the condition over several routes")
        #expect(diagnostic.range.start.line == 3)
        #expect(diagnostic.range.start.column == column)
        let text =
            "verify { secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw }\nsink a memory {}\nroute * where \(expression) -> a\n"
        let formatted = DiagnosticFormatter.format(diagnostic, source: SourceFile(path: "f.conf", text: text))
        #expect(formatted.hasPrefix("f.conf:3:\(column): error: the filter nests parentheses"))
    }

    @Test func filtersNestedToTheLimitStillCompile() throws {
        let depth = FilterParser.maximumNesting
        let expression =
            String(repeating: "(not ", count: depth / 2) + "payload.x == 1" + String(repeating: ")", count: depth / 2)
        let (filter, diagnostics) = Self.compile(expression)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        let compiled = try #require(filter)
        #expect(!compiled.evaluate(try Self.event("point.balance.updated")))
    }

    /// A filter has at most `FilterParser.maximumConditions` conditions: a long `and` or `or` chain compiles to a tree
    /// as deep as the chain, and evaluating one of 100,000 conditions overflowed the stack of the dispatcher.
    @Test(arguments: [" and ", " or "])
    func filtersWithTooManyConditionsAreAnErrorAtTheFirstOnePastTheLimit(joiner: String) throws {
        let condition = "id == \"1\""
        let expression = Array(repeating: condition, count: 100_000).joined(separator: joiner)
        let (filter, diagnostics) = Self.compile(expression)
        #expect(filter == nil)
        let diagnostic = try #require(diagnostics.first)
        #expect(diagnostics.count == 1)
        #expect(diagnostic.message == "the filter has more than 256 conditions")
        #expect(diagnostic.range.start.column == 15 + FilterParser.maximumConditions * (condition.count + joiner.count))
        #expect(diagnostic.suggestion?.contains("in [...]") == true)
    }

    @Test func filtersWithConditionsUpToTheLimitStillCompile() throws {
        let count = FilterParser.maximumConditions
        let expression = (0..<count).map { "payload.accountId != \($0 + 1000)" }.joined(separator: " and ")
        let (filter, diagnostics) = Self.compile(expression)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        let compiled = try #require(filter)
        #expect(compiled.evaluate(try Self.event("point.balance.updated")))
    }
}
