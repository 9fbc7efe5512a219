// The fixture Fixtures/engage-decryption.json is copied from the project's shared decryption vectors
// (shared/vectors/engage-decryption.json).

import Foundation
import Testing
import WebhookVerification

@Suite("Payload decryption")
struct PayloadDecryptorTests {
    static let key = "DaqfT7Ys6tGqM3zbesEKpmacTJEqBCp2"

    /// The codes each invalid vector may fail with; a vector not listed here only has to fail.
    static let expectedCodes: [String: Set<DecryptionError.Code>] = [
        // A wrong key almost always breaks the padding; when the padding happens to pass, the bytes are not UTF-8.
        "wrong-key": [.decryptionFailed, .notUTF8],
        "too-short": [.tooShort],
        "not-block-aligned": [.notBlockAligned],
        "not-base64": [.invalidEncoding],
    ]

    /// URL-safe base64 without padding, as Engage writes it.
    static func urlSafe(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of an encoding made by ``PayloadDecryptor/encrypt(_:iv:)``.
    static func bytes(_ encoded: String) throws -> [UInt8] {
        var standard = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Array(try #require(Data(base64Encoded: standard)))
    }

    @Test("every valid vector decrypts to its plaintext", arguments: try DecryptionVectors.load().valid)
    func validVectorDecrypts(vector: DecryptionVectors.Valid) throws {
        let decryptor = try PayloadDecryptor(key: vector.key)
        #expect(try decryptor.decrypt(vector.ciphertext) == Array(vector.plaintext.utf8))
    }

    @Test("every invalid vector is rejected with a fitting code", arguments: try DecryptionVectors.load().invalid)
    func invalidVectorIsRejected(vector: DecryptionVectors.Invalid) throws {
        let decryptor = try PayloadDecryptor(key: vector.key)
        let error = try #require(throws: DecryptionError.self) { try decryptor.decrypt(vector.ciphertext) }
        if let expected = Self.expectedCodes[vector.name] {
            #expect(expected.contains(error.code), "\(vector.name) failed with \(error.code)")
        }
        #expect(!error.message.isEmpty)
        #expect(!error.message.contains(vector.key))
        #expect(error.description == "\(error.code.rawValue): \(error.message)")
    }

    @Test("the codes have stable snake_case names")
    func codeNames() {
        #expect(DecryptionError.Code.invalidEncoding.rawValue == "invalid_encoding")
        #expect(DecryptionError.Code.tooShort.rawValue == "too_short")
        #expect(DecryptionError.Code.notBlockAligned.rawValue == "not_block_aligned")
        #expect(DecryptionError.Code.decryptionFailed.rawValue == "decryption_failed")
        #expect(DecryptionError.Code.notUTF8.rawValue == "not_utf8")
    }

    @Test(
        "a key of 32 characters of A-Z, a-z, 0-9 is accepted",
        arguments: [
            "DaqfT7Ys6tGqM3zbesEKpmacTJEqBCp2", "00000000000000000000000000000000", String(repeating: "Z", count: 32),
        ])
    func validKey(key: String) throws {
        _ = try PayloadDecryptor(key: key)
    }

    @Test(
        "a key of another length, with other characters or whitespace is rejected without echoing it",
        arguments: [
            String(key.dropLast()), key + "x", "", "DaqfT7Ys6tGqM3zbesEKpmacTJEqBC-2",
            "DaqfT7Ys6tGqM3zbesEKpmacTJEqBC_2",
            "DaqfT7Ys6tGqM3zbesEKpmacTJEqBC+2", "DaqfT7Ys6tGqM3zbesEKpmacTJEqBCå2", key + "\n", " " + key,
            "DaqfT7Ys6tGqM3zb esEKpmacTJEqBCp", "DaqfT7Ys6tGqM3zbesEKpmacTJEqBC🔑",
        ])
    func invalidKey(key: String) throws {
        let error = try #require(throws: PayloadKeyError.self) { try PayloadDecryptor(key: key) }
        #expect(error.message.contains("payload key"))
        #expect(!error.message.contains("DaqfT7Ys"))
        #expect(!error.message.contains("esEKpmac"))
        #expect(error.description == error.message)
    }

    @Test("a key of 31 or 33 characters is rejected with its length", arguments: [31, 33])
    func keyLengthInMessage(length: Int) throws {
        let key = String(repeating: "a", count: length)
        let error = try #require(throws: PayloadKeyError.self) { try PayloadDecryptor(key: key) }
        #expect(error.message.contains("\(length) characters"))
        #expect(error.message.contains("32"))
    }

    @Test("the decryptor's description does not show the key")
    func descriptionRedacted() throws {
        let decryptor = try PayloadDecryptor(key: Self.key)
        for text in [String(describing: decryptor), String(reflecting: decryptor), "\(decryptor)"] {
            #expect(!text.contains("DaqfT7Ys"))
            #expect(text.contains("redacted"))
        }
    }

    @Test("encryption with a fixed IV reproduces a vector exactly")
    func encryptionReproducesVector() throws {
        let vector = try #require(try DecryptionVectors.load().valid.first { $0.name == "contact-json" })
        let decryptor = try PayloadDecryptor(key: vector.key)
        let encoded = decryptor.encrypt(Array(vector.plaintext.utf8), iv: Array(0..<16))
        #expect(encoded == vector.ciphertext)
    }

    @Test(
        "what is encrypted decrypts to the same bytes, with URL-safe characters and no padding",
        arguments: [0, 1, 15, 16, 17, 31, 32, 100, 1000])
    func roundTrip(length: Int) throws {
        let decryptor = try PayloadDecryptor(key: Self.key)
        let plaintext = Array(String(repeating: "{\"a\":[1,2,3]}", count: length / 13 + 1).utf8.prefix(length))
        let encoded = decryptor.encrypt(plaintext)
        #expect(!encoded.contains("+") && !encoded.contains("/") && !encoded.contains("="))
        #expect(try decryptor.decrypt(encoded) == plaintext)
        #expect(try Self.bytes(encoded).count == 16 + (plaintext.count / 16 + 1) * 16)
    }

    @Test("each encryption uses a fresh random IV")
    func randomIV() throws {
        let decryptor = try PayloadDecryptor(key: Self.key)
        let plaintext = Array("{}".utf8)
        #expect(decryptor.encrypt(plaintext) != decryptor.encrypt(plaintext))
    }

    @Test("a 64 KiB plaintext round-trips")
    func largePlaintext() throws {
        let decryptor = try PayloadDecryptor(key: Self.key)
        let plaintext = (0..<65_536).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        let encoded = decryptor.encrypt(plaintext, iv: Array(repeating: 7, count: 16))
        #expect(try decryptor.decrypt(encoded) == plaintext)
    }

    @Test("the standard base64 form of a ciphertext decrypts like the URL-safe one, with or without padding")
    func standardAndURLSafeAlike() throws {
        let decryptor = try PayloadDecryptor(key: Self.key)
        let plaintext = Array(#"{"data":"?>?>?>~~~"}"#.utf8)
        // This IV gives both '+' and '/' in the standard form.
        let urlSafe = decryptor.encrypt(plaintext, iv: Array(repeating: 0xFB, count: 15) + [0xFF])
        let standard = Data(try Self.bytes(urlSafe)).base64EncodedString()
        #expect(standard.contains("+") || standard.contains("/"))
        #expect(try decryptor.decrypt(standard) == plaintext)
        #expect(try decryptor.decrypt(urlSafe) == plaintext)
        #expect(try decryptor.decrypt(standard.replacingOccurrences(of: "=", with: "")) == plaintext)
    }

    @Test(
        "text that is not base64 is rejected as invalid_encoding",
        arguments: [
            "AAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA AAAA",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
            "AA=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*", "é",
        ])
    func notBase64(encoded: String) throws {
        let error = try #require(throws: DecryptionError.self) { try PayloadDecryptor(key: Self.key).decrypt(encoded) }
        #expect(error.code == .invalidEncoding)
    }

    @Test("fewer than 32 decoded bytes are too_short, whatever the alignment", arguments: [0, 1, 15, 16, 17, 31])
    func tooShort(byteCount: Int) throws {
        let encoded = Self.urlSafe(Array(repeating: 0, count: byteCount))
        let error = try #require(throws: DecryptionError.self) { try PayloadDecryptor(key: Self.key).decrypt(encoded) }
        #expect(error.code == .tooShort)
    }

    @Test("ciphertext after the IV that is not whole blocks is not_block_aligned", arguments: [33, 47, 49, 63])
    func notBlockAligned(byteCount: Int) throws {
        let encoded = Self.urlSafe(Array(repeating: 0, count: byteCount))
        let error = try #require(throws: DecryptionError.self) { try PayloadDecryptor(key: Self.key).decrypt(encoded) }
        #expect(error.code == .notBlockAligned)
    }

    @Test("a last block whose padding is invalid is decryption_failed", arguments: [UInt8(0), 17, 0xFF])
    func badPadding(lastByte: UInt8) throws {
        let decryptor = try PayloadDecryptor(key: Self.key)
        // Encrypting one whole block gives IV, that block, and a full padding block; without the padding block the
        // last plaintext byte is read as the padding length.
        let block = Array(repeating: UInt8(ascii: "x"), count: 15) + [lastByte]
        let bytes = try Self.bytes(decryptor.encrypt(block, iv: Array(repeating: 1, count: 16)))
        let error = try #require(throws: DecryptionError.self) {
            try decryptor.decrypt(Self.urlSafe(Array(bytes.prefix(32))))
        }
        #expect(error.code == .decryptionFailed)
        #expect(!error.message.contains("xxxx"))
    }

    @Test("a plaintext that is not UTF-8 is not_utf8, and the message holds none of it")
    func notUTF8() throws {
        let decryptor = try PayloadDecryptor(key: Self.key)
        let encoded = decryptor.encrypt(Array("secret-ish".utf8) + [0xFF, 0xFE])
        let error = try #require(throws: DecryptionError.self) { try decryptor.decrypt(encoded) }
        #expect(error.code == .notUTF8)
        #expect(!error.message.contains("secret-ish"))
    }

    @Test("a ciphertext damaged in its last block never decrypts to the original")
    func damagedCiphertext() throws {
        let decryptor = try PayloadDecryptor(key: Self.key)
        let plaintext = Array(#"{"contactId":"1c9b35d6"}"#.utf8)
        var bytes = try Self.bytes(decryptor.encrypt(plaintext, iv: Array(repeating: 3, count: 16)))
        bytes[bytes.count - 1] ^= 0x01
        let result = Result { try decryptor.decrypt(Self.urlSafe(bytes)) }
        #expect((try? result.get()) != plaintext)
    }
}
