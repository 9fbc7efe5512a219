// The fixture Fixtures/svix-signatures.json is copied from the project's shared Svix vectors
// (shared/vectors/svix-signatures.json), which come from the official Svix libraries' test suites.

import Foundation
import Testing
import WebhookVerification

/// The Svix signature vectors, decoded from the fixture.
struct SvixVectors: Decodable, Sendable {
    struct BodyRepeat: Decodable, Sendable {
        let char: String
        let count: Int
    }

    struct HMACVector: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let secret: String
        let msgId: String
        let timestamp: Int64
        let body: String?
        let bodyRepeat: BodyRepeat?
        let signature: String

        var bodyBytes: [UInt8] {
            if let bodyRepeat {
                return Array(String(repeating: bodyRepeat.char, count: bodyRepeat.count).utf8)
            }
            return Array((body ?? "").utf8)
        }

        var headers: WebhookHeaders {
            WebhookHeaders(id: msgId, timestamp: String(timestamp), signature: signature)
        }

        var testDescription: String { name }
    }

    struct AsymmetricVector: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let signingKey: String
        let publicKey: String
        let msgId: String
        let timestamp: Int64
        let body: String
        let signature: String

        var testDescription: String { name }
    }

    struct HeaderCase: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let header: String

        var testDescription: String { name }
    }

    struct MultiSignatureCase: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let header: String
        let valid: Bool

        var testDescription: String { name }
    }

    struct Negatives: Decodable, Sendable {
        let cases: [HeaderCase]
    }

    struct MultiSignatures: Decodable, Sendable {
        let cases: [MultiSignatureCase]
    }

    struct TimestampText: Decodable, Sendable {
        let reject: [String]
        let accept: [String]
    }

    let hmac: [HMACVector]
    let asymmetric: [AsymmetricVector]
    let negativesForSvixCanonical: Negatives
    let multiSignatureForSvixCanonical: MultiSignatures
    let timestampText: TimestampText

    /// The `svix-canonical` vector, the base of the negative, multi-signature and timestamp-text cases.
    var canonical: HMACVector {
        get throws {
            try #require(hmac.first { $0.name == "svix-canonical" })
        }
    }

    static func load() throws -> SvixVectors {
        let url = try #require(
            Bundle.module.url(forResource: "svix-signatures", withExtension: "json", subdirectory: "Fixtures"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(SvixVectors.self, from: Data(contentsOf: url))
    }
}
