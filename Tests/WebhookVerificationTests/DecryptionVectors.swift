// The fixture Fixtures/engage-decryption.json is copied from the project's shared decryption vectors
// (shared/vectors/engage-decryption.json), produced with Python's cryptography package.

import Foundation
import Testing
import WebhookVerification

/// The Engage payload decryption vectors, decoded from the fixture.
struct DecryptionVectors: Decodable, Sendable {
    struct Valid: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let key: String
        let ciphertext: String
        let plaintext: String

        var testDescription: String { name }
    }

    struct Invalid: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let key: String
        let ciphertext: String
        let expect: String

        var testDescription: String { name }
    }

    let valid: [Valid]
    let invalid: [Invalid]

    static func load() throws -> DecryptionVectors {
        let url = try #require(
            Bundle.module.url(forResource: "engage-decryption", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(DecryptionVectors.self, from: Data(contentsOf: url))
    }
}
