import EngageEvents
import Foundation
import RelayCore
import Testing

/// The one payload-path reader and walker behind `where` filters and `sqlite` `column` options.
@Suite struct PayloadPathTests {
    @Test(arguments: [
        ("payload", []), ("payload.a", [PayloadPath.Step.key("a")]),
        ("payload.items[12].SKU", [.key("items"), .index(12), .key("SKU")]), ("payload[0][1]", [.index(0), .index(1)]),
    ])
    func payloadPathsParse(text: String, steps: [PayloadPath.Step]) {
        #expect(PayloadPath(parsing: text)?.steps == steps)
        #expect(PayloadPath(parsing: text)?.description == text)
    }

    @Test(arguments: [
        "", "balance", "payload.", "payload..a", "payload.a[", "payload.a[-1]", "payload.a b", "payloadx",
    ])
    func malformedPayloadPathsAreRejected(text: String) {
        #expect(PayloadPath(parsing: text) == nil)
    }

    @Test(arguments: [
        ("payload.", PayloadPath.SyntaxError.emptyKey), ("payload..a", .emptyKey), ("payload.[0]", .emptyKey),
        ("payloadx", .malformed), ("payload.a b", .malformed), ("payload.a]", .malformed), ("payload[x]", .malformed),
        ("payload[1234567890]", .malformed), ("payload[٣]", .malformed), ("payload[0]x", .malformed),
    ])
    func theReasonIsReported(text: String, reason: PayloadPath.SyntaxError) {
        #expect(throws: reason) { try PayloadPath(validating: text) }
    }

    static let payload = try! JSONValue(
        parsing: Array(#"{"Amount":100,"items":[{"sku":"A"},{"SKU":"B","sku":"b"}],"nested":{"k":null}}"#.utf8))

    @Test(arguments: [
        ("payload.Amount", JSONValue.number(100)), ("payload.amount", .number(100)), ("payload.AMOUNT", .number(100)),
        ("payload.items[0].SKU", .string("A")), ("payload.items[1].sku", .string("b")),
        ("payload.items[1].SKU", .string("B")), ("payload.nested.k", .null),
    ])
    func keysMatchExactlyFirstThenCaseInsensitively(text: String, value: JSONValue) throws {
        #expect(try #require(PayloadPath(parsing: text)).value(in: Self.payload) == value)
    }

    @Test(arguments: ["payload.missing", "payload.items[2]", "payload.items.sku", "payload.Amount.x", "payload[0]"])
    func aMissingStepIsNoValue(text: String) throws {
        #expect(try #require(PayloadPath(parsing: text)).value(in: Self.payload) == nil)
    }

    @Test func theEmptyPathIsThePayload() throws {
        #expect(try #require(PayloadPath(parsing: "payload")).value(in: Self.payload) == Self.payload)
    }
}
