import EngageEvents
// The fixture Fixtures/svix-signatures.json is copied from the project's shared Svix vectors
// (shared/vectors/svix-signatures.json), which come from the official Svix libraries' test suites.

import Testing
import WebhookVerification

@Suite("Svix vectors")
struct SvixVectorTests {
    @Test("every HMAC vector verifies with the clock at its timestamp", arguments: try SvixVectors.load().hmac)
    func hmacVectorVerifies(vector: SvixVectors.HMACVector) throws {
        let verifier = SignatureVerifier(
            secrets: [try WebhookSecret(vector.secret)], clock: .fixed(vector.timestamp))
        let body = vector.bodyBytes
        let delivery = try verifier.verify(headers: vector.headers, body: body)
        #expect(delivery.messageId == vector.msgId)
        #expect(delivery.timestamp == vector.timestamp)
        #expect(delivery.body == body)
    }

    @Test("every HMAC vector is reproduced by the signer", arguments: try SvixVectors.load().hmac)
    func signerReproducesHMACVector(vector: SvixVectors.HMACVector) throws {
        let signer = WebhookSigner(secret: try WebhookSecret(vector.secret))
        let signature = signer.signature(messageId: vector.msgId, timestamp: vector.timestamp, body: vector.bodyBytes)
        #expect(signature == vector.signature)
    }

    @Test("the v1a vector verifies with its whpk_ public key", arguments: try SvixVectors.load().asymmetric)
    func asymmetricVectorVerifies(vector: SvixVectors.AsymmetricVector) throws {
        let verifier = SignatureVerifier(
            secrets: [], publicKeys: [try WebhookPublicKey(vector.publicKey)], clock: .fixed(vector.timestamp))
        let headers = WebhookHeaders(id: vector.msgId, timestamp: String(vector.timestamp), signature: vector.signature)
        let delivery = try verifier.verify(headers: headers, body: Array(vector.body.utf8))
        #expect(delivery.messageId == vector.msgId)
    }

    @Test(
        "signing with the whsk_ key gives a v1a signature that its whpk_ key verifies",
        arguments: try SvixVectors.load().asymmetric)
    func asymmetricSigningRoundTrips(vector: SvixVectors.AsymmetricVector) throws {
        let signingKey = try WebhookSigningKey(vector.signingKey)
        #expect(signingKey.publicKey.text == vector.publicKey)
        let body = Array(vector.body.utf8)
        let signature = WebhookSigner(signingKey: signingKey)
            .signature(messageId: vector.msgId, timestamp: vector.timestamp, body: body)
        #expect(signature.hasPrefix("v1a,"))
        let verifier = SignatureVerifier(
            secrets: [], publicKeys: [try WebhookPublicKey(vector.publicKey)], clock: .fixed(vector.timestamp))
        let headers = WebhookHeaders(id: vector.msgId, timestamp: String(vector.timestamp), signature: signature)
        _ = try verifier.verify(headers: headers, body: body)
    }

    @Test("a v1a signature does not verify under an HMAC secret alone", arguments: try SvixVectors.load().asymmetric)
    func asymmetricSignatureNeedsPublicKey(vector: SvixVectors.AsymmetricVector) throws {
        let canonical = try SvixVectors.load().canonical
        let verifier = SignatureVerifier(
            secrets: [try WebhookSecret(canonical.secret)], clock: .fixed(vector.timestamp))
        let headers = WebhookHeaders(id: vector.msgId, timestamp: String(vector.timestamp), signature: vector.signature)
        let error = #expect(throws: VerificationError.self) {
            try verifier.verify(headers: headers, body: Array(vector.body.utf8))
        }
        #expect(error?.code == .signatureMismatch)
    }

    @Test(
        "every negative header fails with signature_mismatch",
        arguments: try SvixVectors.load().negativesForSvixCanonical.cases)
    func negativeHeaderIsRejected(negative: SvixVectors.HeaderCase) throws {
        let canonical = try SvixVectors.load().canonical
        let verifier = SignatureVerifier(
            secrets: [try WebhookSecret(canonical.secret)], clock: .fixed(canonical.timestamp))
        var headers = canonical.headers
        headers.signature = negative.header
        let error = #expect(throws: VerificationError.self) {
            try verifier.verify(headers: headers, body: canonical.bodyBytes)
        }
        #expect(error?.code == .signatureMismatch)
    }

    @Test(
        "a multi-signature header verifies exactly when the vector says valid",
        arguments: try SvixVectors.load().multiSignatureForSvixCanonical.cases)
    func multiSignatureHeader(multi: SvixVectors.MultiSignatureCase) throws {
        let canonical = try SvixVectors.load().canonical
        let verifier = SignatureVerifier(
            secrets: [try WebhookSecret(canonical.secret)], clock: .fixed(canonical.timestamp))
        var headers = canonical.headers
        headers.signature = multi.header
        if multi.valid {
            let delivery = try verifier.verify(headers: headers, body: canonical.bodyBytes)
            #expect(delivery.messageId == canonical.msgId)
        } else {
            let error = #expect(throws: VerificationError.self) {
                try verifier.verify(headers: headers, body: canonical.bodyBytes)
            }
            #expect(error?.code == .signatureMismatch)
        }
    }

    @Test(
        "a timestamp text that is not 1 to 12 ASCII digits is malformed",
        arguments: try SvixVectors.load().timestampText.reject)
    func timestampTextRejected(text: String) throws {
        let canonical = try SvixVectors.load().canonical
        let verifier = SignatureVerifier(
            secrets: [try WebhookSecret(canonical.secret)], clock: .fixed(canonical.timestamp))
        var headers = canonical.headers
        headers.timestamp = text
        let error = #expect(throws: VerificationError.self) {
            try verifier.verify(headers: headers, body: canonical.bodyBytes)
        }
        #expect(error?.code == .malformedHeaders)
    }

    @Test("a plain-digits timestamp text is accepted", arguments: try SvixVectors.load().timestampText.accept)
    func timestampTextAccepted(text: String) throws {
        let canonical = try SvixVectors.load().canonical
        let verifier = SignatureVerifier(
            secrets: [try WebhookSecret(canonical.secret)], clock: .fixed(canonical.timestamp))
        var headers = canonical.headers
        headers.timestamp = text
        let delivery = try verifier.verify(headers: headers, body: canonical.bodyBytes)
        #expect(delivery.timestamp == canonical.timestamp)
    }

    @Test("the signed content uses the timestamp text as received, so a leading zero breaks the signature")
    func timestampTextIsSignedVerbatim() throws {
        let canonical = try SvixVectors.load().canonical
        let verifier = SignatureVerifier(
            secrets: [try WebhookSecret(canonical.secret)], clock: .fixed(canonical.timestamp))
        var headers = canonical.headers
        headers.timestamp = "0" + String(canonical.timestamp)
        let error = #expect(throws: VerificationError.self) {
            try verifier.verify(headers: headers, body: canonical.bodyBytes)
        }
        #expect(error?.code == .signatureMismatch)
    }

    @Test("the body is verified byte for byte: one changed or added byte fails")
    func bodyIsVerifiedByteForByte() throws {
        let canonical = try SvixVectors.load().canonical
        let verifier = SignatureVerifier(
            secrets: [try WebhookSecret(canonical.secret)], clock: .fixed(canonical.timestamp))
        for body in [
            Array("{\"test\":2432232314}".utf8), canonical.bodyBytes + [0x0A], Array(canonical.bodyBytes.dropLast()),
        ] {
            let error = #expect(throws: VerificationError.self) {
                try verifier.verify(headers: canonical.headers, body: body)
            }
            #expect(error?.code == .signatureMismatch)
        }
    }
}
