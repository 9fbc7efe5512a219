import EngageEvents
import Foundation
import Testing

@Suite struct EnvelopeDecodingTests {
    func decode(_ json: String, messageId: String = "msg_1") throws -> EngageEvent {
        try EngageEvent(decoding: Array(json.utf8), messageId: messageId, receivedAt: Date(timeIntervalSince1970: 0))
    }

    @Test func readsTypeIdTenantEncryptedFlagAndKeepsTheBodyBytes() throws {
        let json = #"{"eventType":"contact.created","id":"e1","isEncrypted":false,"payload":{"contactId":"c1"},"tenant":"t"}"#
        let event = try decode(json)
        #expect(event.type == .contactCreated)
        #expect(event.id == "e1")
        #expect(event.messageId == "msg_1")
        #expect(event.tenant == "t")
        #expect(event.isEncrypted == false)
        #expect(event.payload["contactId"] == .string("c1"))
        #expect(event.body == Array(json.utf8))
    }

    @Test func acceptsEventIdAndNumericIdsAndFallsBackToTheMessageId() throws {
        #expect(try decode(#"{"eventType":"x","eventId":"e2"}"#).id == "e2")
        #expect(try decode(#"{"eventType":"x","id":42}"#).id == "42")
        #expect(try decode(#"{"eventType":"x"}"#, messageId: "msg_9").id == "msg_9")
        #expect(try decode(#"{"eventType":"x"}"#).tenant == nil)
        #expect(try decode(#"{"eventType":"x","isEncrypted":true,"payload":"abc"}"#).isEncrypted)
    }

    @Test func unknownTypesAreKeptAsTheyAre() throws {
        let event = try decode(#"{"eventType":"order.returned","id":"1"}"#)
        #expect(event.type.rawValue == "order.returned")
        #expect(!event.type.isKnown)
    }

    @Test(arguments: [
        ("not json", "invalid_json"), ("[1]", "not_an_object"), (#"{"id":"1"}"#, "missing_event_type"),
        (#"{"eventType":5}"#, "missing_event_type"), (#"{"eventType":""}"#, "missing_event_type"),
    ])
    func rejectsBodiesThatAreNotEnvelopes(json: String, code: String) {
        #expect {
            _ = try decode(json)
        } throws: { error in
            (error as? EnvelopeError)?.code.rawValue == code
        }
    }

    @Test func envelopeFieldsOfEveryJSONKindAreReadAsBefore() throws {
        // Strings, booleans and null are read on the fast path; numbers and other kinds take the exact one.
        #expect(try decode(#"{"eventType":"x","id":12345678901234567890123}"#).id == "12345678901234567890123")
        #expect(try decode(#"{"eventType":"x","id":true,"eventId":"e3"}"#).id == "e3")
        #expect(try decode(#"{"eventType":"x","id":null,"eventId":7}"#).id == "7")
        #expect(try decode(#"{"eventType":"x","tenant":1.50}"#).tenant == "1.5")
        #expect(try decode(#"{"eventType":"x","tenant":{"a":1}}"#).tenant == nil)
        #expect(try decode(#"{"eventType":"x","isEncrypted":1,"payload":"abc"}"#).isEncrypted == false)
        #expect(try decode(#"{"eventType":"x","isEncrypted":"true","payload":"abc"}"#).isEncrypted == false)
        #expect(try decode(#"{"eventType":"x","isEncrypted":false}"#).isEncrypted == false)
        #expect(try decode(#"{"eventType":"x","isEncrypted":null}"#).isEncrypted == false)
    }

    @Test(arguments: [
        #"{"eventType":"x","payload":{"a":"\uZZZZ"}}"#, #"{"eventType":"x","payload":{"a":01}}"#,
        #"{"eventType":"x","payload":{"a":"\ud800"}}"#,
        #"{"eventType":"x","payload":{"a":1e400}}"#, #"{"eventType":"x"} trailing"#,
    ])
    func aPayloadThatIsNotJSONMakesTheBodyInvalidAtOnce(json: String) {
        #expect {
            _ = try decode(json)
        } throws: { error in
            (error as? EnvelopeError)?.code == .invalidJSON
        }
    }

    @Test func thePayloadIsParsedOnFirstUseAndEqualsAnEagerParse() throws {
        let payload = #"{"contactId":"c1","points":[1,2.50,{"x":null}],"ok":true,"note":"r\u00e4k"}"#
        let event = try decode(#"{"eventType":"x","payload":"# + payload + "}")
        let copy = event
        #expect(event.payload == (try JSONValue(parsing: Array(payload.utf8))))
        #expect(copy.payload == event.payload)
        var changed = copy
        changed.payload = .string("replaced")
        #expect(changed.payload == .string("replaced"))
        #expect(event.payload["contactId"] == .string("c1"))
        #expect(try decode(#"{"eventType":"x"}"#).payload == .null)
    }

    @Test func numbersStayExactDecimals() throws {
        let event = try decode(#"{"eventType":"x","payload":{"balance":2500.75,"big":12345678901234567890.123456789}}"#)
        #expect(event.payload["balance"] == .number(Decimal(string: "2500.75")!))
        #expect(event.payload["big"]?.decimalValue?.description == "12345678901234567890.123456789")
    }

    @Test func payloadKeysMatchCaseInsensitively() throws {
        let event = try decode(#"{"eventType":"x","payload":{"ContactId":"c9"}}"#)
        #expect(event.payload["contactId"] == .string("c9"))
        #expect(event.payload["CONTACTID"] == .string("c9"))
    }

    @Test func everyKnownTypeIsListedOnce() {
        #expect(EventType.known.count == 11)
        #expect(Set(EventType.known).count == 11)
    }
}
