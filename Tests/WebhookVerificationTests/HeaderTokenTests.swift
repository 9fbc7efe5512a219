import Testing
import WebhookVerification

@Suite("Header token")
struct HeaderTokenTests {
    static let current = "tok_3f9a1c7e5b2d4f6a8c0e"
    static let next = "tok_rotated_b1d2e3f4a5"
    static let token = HeaderToken(name: "X-Engage-Token", acceptedValues: [current, next])

    @Test("the header name is kept lowercased")
    func nameLowercased() {
        #expect(Self.token.name == "x-engage-token")
    }

    @Test("the configured value is accepted, and so is the second value during a rotation")
    func acceptedValues() {
        #expect(Self.token.accepts(Self.current))
        #expect(Self.token.accepts(Self.next))
    }

    @Test(
        "a wrong value of any length is refused",
        arguments: [
            "tok_3f9a1c7e5b2d4f6a8c0f", "TOK_3F9A1C7E5B2D4F6A8C0E", "tok_3f9a1c7e5b2d4f6a8c0",
            "tok_3f9a1c7e5b2d4f6a8c0ee",
            "t", "x", " tok_3f9a1c7e5b2d4f6a8c0e", "tok_3f9a1c7e5b2d4f6a8c0e ", String(repeating: "a", count: 10_000),
            "tok_3f9a1c7e5b2d4f6a8c0e,tok_rotated_b1d2e3f4a5", "Bearer tok_3f9a1c7e5b2d4f6a8c0e",
        ])
    func wrongValue(value: String) {
        #expect(!Self.token.accepts(value))
    }

    @Test("a missing or empty header is refused")
    func missingHeader() {
        #expect(!Self.token.accepts(nil))
        #expect(!Self.token.accepts(""))
    }

    @Test("empty accepted values are ignored, so nothing matches an empty header")
    func emptyAcceptedValue() {
        let token = HeaderToken(name: "X-Token", acceptedValues: ["", "abc"])
        #expect(!token.accepts(""))
        #expect(token.accepts("abc"))
        #expect(!HeaderToken(name: "X-Token", acceptedValues: []).accepts("abc"))
    }

    @Test("values are compared byte for byte, including non-ASCII characters")
    func byteForByte() {
        let token = HeaderToken(name: "X-Token", acceptedValues: ["café"])
        #expect(token.accepts("café"))
        // The same text with a combining accent is a different byte sequence.
        #expect(!token.accepts("cafe\u{301}"))
    }

    @Test("the description shows the header name but no value")
    func descriptionRedacted() {
        for text in [String(describing: Self.token), String(reflecting: Self.token)] {
            #expect(text.contains("x-engage-token"))
            #expect(!text.contains("3f9a1c7e"))
            #expect(!text.contains("rotated"))
        }
    }
}
