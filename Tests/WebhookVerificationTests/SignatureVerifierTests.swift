import Testing
import WebhookVerification

@Suite("SignatureVerifier")
struct SignatureVerifierTests {
    // MARK: Tolerance (rule 2)

    @Test(
        "a timestamp exactly the tolerance away, in either direction, is accepted",
        arguments: [-300, 0, 300] as [Int64])
    func timestampWithinDefaultToleranceAccepted(offset: Int64) throws {
        var sample = Sample()
        sample.timestamp = Sample.now + offset
        let delivery = try Sample.verifier().verify(headers: try sample.headers, body: sample.body)
        #expect(delivery.timestamp == Sample.now + offset)
    }

    @Test(
        "a timestamp one second beyond the tolerance, in either direction, is rejected",
        arguments: [-301, 301] as [Int64])
    func timestampBeyondDefaultToleranceRejected(offset: Int64) throws {
        var sample = Sample()
        sample.timestamp = Sample.now + offset
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: try sample.headers, body: sample.body)
        }
        #expect(error?.code == .timestampOutOfTolerance)
        #expect(error?.message.contains(offset < 0 ? "old" : "future") == true)
    }

    @Test(
        "a custom tolerance accepts its bounds and rejects one second beyond",
        arguments: [(-10, true), (10, true), (-11, false), (11, false), (-300, false)] as [(Int64, Bool)])
    func customTolerance(offset: Int64, accepted: Bool) throws {
        var sample = Sample()
        sample.timestamp = Sample.now + offset
        let verifier = try Sample.verifier(toleranceSeconds: 10)
        if accepted {
            _ = try verifier.verify(headers: try sample.headers, body: sample.body)
        } else {
            let error = #expect(throws: VerificationError.self) {
                try verifier.verify(headers: try sample.headers, body: sample.body)
            }
            #expect(error?.code == .timestampOutOfTolerance)
        }
    }

    @Test("a zero tolerance accepts only the current second")
    func zeroTolerance() throws {
        let sample = Sample()
        _ = try Sample.verifier(toleranceSeconds: 0).verify(headers: try sample.headers, body: sample.body)
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier(toleranceSeconds: 0, now: Sample.now + 1).verify(
                headers: try sample.headers, body: sample.body)
        }
        #expect(error?.code == .timestampOutOfTolerance)
    }

    @Test("a clock far from the timestamp is rejected without overflow, even with the largest tolerance")
    func extremeClockDoesNotOverflow() throws {
        let sample = Sample()
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier(toleranceSeconds: .max, now: .min).verify(
                headers: try sample.headers, body: sample.body)
        }
        #expect(error?.code == .timestampOutOfTolerance)
        _ = try Sample.verifier(toleranceSeconds: .max, now: .max).verify(
            headers: try sample.headers, body: sample.body)
    }

    @Test("the largest timestamp, 12 nines, passes the format check and reaches the tolerance check")
    func twelveDigitTimestampIsWellFormed() throws {
        var sample = Sample()
        sample.timestamp = 999_999_999_999
        _ = try Sample.verifier(now: 999_999_999_999).verify(headers: try sample.headers, body: sample.body)
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: try sample.headers, body: sample.body)
        }
        #expect(error?.code == .timestampOutOfTolerance)
    }

    // MARK: Missing headers (rule 1)

    @Test(
        "a delivery missing any of the three headers fails with missing_headers",
        arguments: ["id", "timestamp", "signature", "all"])
    func missingHeader(missing: String) throws {
        let sample = Sample()
        var headers = try sample.headers
        switch missing {
        case "id": headers.id = nil
        case "timestamp": headers.timestamp = nil
        case "signature": headers.signature = nil
        default: headers = WebhookHeaders(id: nil, timestamp: nil, signature: nil)
        }
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: headers, body: sample.body)
        }
        #expect(error?.code == .missingHeaders)
        if missing != "all" {
            #expect(error?.message.contains("svix-\(missing)") == true)
        }
    }

    @Test("an empty signature header is present but matches nothing")
    func emptySignatureHeader() throws {
        let sample = Sample()
        var headers = try sample.headers
        headers.signature = ""
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: headers, body: sample.body)
        }
        #expect(error?.code == .signatureMismatch)
    }

    // MARK: Message id (rule 3)

    @Test(
        "a message id of 1 or 256 printable ASCII bytes is accepted",
        arguments: ["m", String(repeating: "a", count: 256), "msg_!~#$%&'()*+,-./:;<=>?@[\\]^_`{|}"])
    func messageIdAccepted(id: String) throws {
        var sample = Sample()
        sample.id = id
        let delivery = try Sample.verifier().verify(headers: try sample.headers, body: sample.body)
        #expect(delivery.messageId == id)
    }

    @Test(
        "a message id that is empty, too long, or holds spaces, controls or non-ASCII is malformed",
        arguments: [
            "", String(repeating: "a", count: 257), "msg 1", " msg_1", "msg_1 ", "msg\t1", "msg\u{7F}1", "msg_é",
            "msg_\u{0}", "msg_1\n",
        ])
    func messageIdMalformed(id: String) throws {
        var sample = Sample()
        sample.id = id
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: try sample.headers, body: sample.body)
        }
        #expect(error?.code == .malformedHeaders)
        #expect(error?.message.contains("message id") == true)
    }

    // MARK: Signature header (rule 4)

    @Test("a signature header of exactly 8192 bytes is accepted")
    func signatureHeaderAtSizeCapAccepted() throws {
        let sample = Sample()
        var headers = try sample.headers
        let signature = try sample.signature
        headers.signature = String(repeating: " ", count: 8192 - signature.utf8.count) + signature
        #expect(headers.signature?.utf8.count == 8192)
        _ = try Sample.verifier().verify(headers: headers, body: sample.body)
    }

    @Test("a signature header over 8192 bytes is malformed even if it holds a valid signature")
    func signatureHeaderOverSizeCapMalformed() throws {
        let sample = Sample()
        var headers = try sample.headers
        let signature = try sample.signature
        headers.signature = String(repeating: " ", count: 8193 - signature.utf8.count) + signature
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: headers, body: sample.body)
        }
        #expect(error?.code == .malformedHeaders)
    }

    @Test(
        "a signature header with 32 entries is accepted, with 33 it is malformed even if one is valid",
        arguments: [(32, true), (33, false)])
    func signatureEntryCap(entries: Int, accepted: Bool) throws {
        let sample = Sample()
        var headers = try sample.headers
        let decoy = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
        headers.signature = (Array(repeating: decoy, count: entries - 1) + [try sample.signature]).joined(
            separator: " ")
        if accepted {
            _ = try Sample.verifier().verify(headers: headers, body: sample.body)
        } else {
            let error = #expect(throws: VerificationError.self) {
                try Sample.verifier().verify(headers: headers, body: sample.body)
            }
            #expect(error?.code == .malformedHeaders)
        }
    }

    @Test("runs of spaces and leading or trailing spaces do not count as entries")
    func spacesAreNotEntries() throws {
        let sample = Sample()
        var headers = try sample.headers
        let decoy = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
        headers.signature =
            "  " + Array(repeating: decoy, count: 31).joined(separator: "   ") + "  " + (try sample.signature) + " "
        _ = try Sample.verifier().verify(headers: headers, body: sample.body)
    }

    @Test("entries without a comma, of unknown versions, or with undecodable base64 are skipped, not fatal")
    func malformedEntriesAreSkipped() throws {
        let sample = Sample()
        var headers = try sample.headers
        let signature = try sample.signature
        let base64 = signature.dropFirst(3)
        headers.signature = [
            "garbage", ",", "v1", "v1,", "v2,\(base64)", "V1,\(base64)", "v1,!!!!", "v1a,\(base64)",
            "v1,\(base64.dropLast())", signature,
        ].joined(separator: " ")
        _ = try Sample.verifier().verify(headers: headers, body: sample.body)
    }

    @Test("the signature value must be padded standard base64 of 32 bytes")
    func unpaddedSignatureSkipped() throws {
        let sample = Sample()
        var headers = try sample.headers
        let signature = try sample.signature
        #expect(signature.hasSuffix("="))
        headers.signature = String(signature.dropLast())
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: headers, body: sample.body)
        }
        #expect(error?.code == .signatureMismatch)
    }

    // MARK: Secrets and rotation (rules 4 and 5)

    @Test(
        "with two secrets configured, a signature under either verifies",
        arguments: [Sample.secretText, Sample.otherSecretText])
    func rotationEitherSecretMatches(signedWith: String) throws {
        var sample = Sample()
        sample.secretText = signedWith
        let verifier = try Sample.verifier(secrets: [Sample.secretText, Sample.otherSecretText])
        _ = try verifier.verify(headers: try sample.headers, body: sample.body)
    }

    @Test("a signature under an unconfigured secret fails with signature_mismatch")
    func unconfiguredSecretRejected() throws {
        var sample = Sample()
        sample.secretText = Sample.otherSecretText
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: try sample.headers, body: sample.body)
        }
        #expect(error?.code == .signatureMismatch)
    }

    @Test(
        "a header carrying signatures under the old and new secret verifies with either one configured",
        arguments: [Sample.secretText, Sample.otherSecretText])
    func rotationHeaderWithTwoSignatures(configured: String) throws {
        var old = Sample()
        old.secretText = Sample.otherSecretText
        let sample = Sample()
        var headers = try sample.headers
        headers.signature = "\(try old.signature) \(try sample.signature)"
        _ = try Sample.verifier(secrets: [configured]).verify(headers: headers, body: sample.body)
    }

    @Test("a verifier with no secrets and no public keys rejects everything")
    func noKeysRejectsEverything() throws {
        let sample = Sample()
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier(secrets: []).verify(headers: try sample.headers, body: sample.body)
        }
        #expect(error?.code == .signatureMismatch)
    }

    @Test("verifying twice with the same verifier gives the same result, so no keyed state leaks between requests")
    func verifierIsReusable() throws {
        let verifier = try Sample.verifier()
        let sample = Sample()
        var tampered = sample
        tampered.body = Array("{}".utf8)
        _ = try verifier.verify(headers: try sample.headers, body: sample.body)
        #expect(throws: VerificationError.self) {
            try verifier.verify(headers: try sample.headers, body: tampered.body)
        }
        _ = try verifier.verify(headers: try sample.headers, body: sample.body)
    }

    @Test("the body is returned unchanged, whatever bytes it holds")
    func arbitraryBodyBytes() throws {
        var sample = Sample()
        sample.body = [0x00, 0xFF, 0xFE, 0x7B, 0x0D, 0x0A] + Array(repeating: 0x80, count: 100)
        let delivery = try Sample.verifier().verify(headers: try sample.headers, body: sample.body)
        #expect(delivery.body == sample.body)
    }

    // MARK: Check order

    @Test("a malformed id is reported before a malformed timestamp")
    func idCheckedBeforeTimestamp() throws {
        let headers = WebhookHeaders(id: "bad id", timestamp: "soon", signature: "v1,x")
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: headers, body: [])
        }
        #expect(error?.message.contains("message id") == true)
    }

    @Test("a malformed timestamp is reported before an oversized signature header")
    func timestampCheckedBeforeSignatureCaps() throws {
        let headers = WebhookHeaders(id: "msg_1", timestamp: "soon", signature: String(repeating: "v1,x ", count: 100))
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: headers, body: [])
        }
        #expect(error?.message.contains("timestamp") == true)
    }

    @Test("signature header caps are checked before the tolerance")
    func signatureCapsCheckedBeforeTolerance() throws {
        let headers = WebhookHeaders(id: "msg_1", timestamp: "1", signature: String(repeating: "v1,x ", count: 33))
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: headers, body: [])
        }
        #expect(error?.code == .malformedHeaders)
    }

    @Test("the tolerance is checked before the signatures")
    func toleranceCheckedBeforeSignatures() throws {
        let headers = WebhookHeaders(id: "msg_1", timestamp: "1", signature: "v1,x")
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: headers, body: [])
        }
        #expect(error?.code == .timestampOutOfTolerance)
    }

    // MARK: Errors (rule 7)

    @Test("error messages and descriptions never contain the secret, the expected signature or the body")
    func errorsDoNotEchoSecrets() throws {
        var sample = Sample()
        sample.body = Array("{\"password\":\"hunter2-very-secret\"}".utf8)
        let expected = try sample.signature
        let expectedBase64 = String(expected.dropFirst(3))
        let secretBase64 = String(Sample.secretText.dropFirst(6))
        var wrongBody = sample
        wrongBody.body = Array("{\"password\":\"hunter3-other-secret\"}".utf8)

        var cases: [WebhookHeaders] = []
        var headers = try sample.headers
        headers.signature = try wrongBody.signature
        cases.append(headers)
        headers = try sample.headers
        headers.id = nil
        cases.append(headers)
        headers = try sample.headers
        headers.id = "msg \(secretBase64)"
        cases.append(headers)
        headers = try sample.headers
        headers.timestamp = "t\(secretBase64)"
        cases.append(headers)
        headers = try sample.headers
        headers.signature = String(repeating: "\(expected) ", count: 40)
        cases.append(headers)
        headers = try sample.headers
        headers.timestamp = "1"
        cases.append(headers)

        var codes: Set<VerificationError.Code> = []
        for headers in cases {
            let error = #expect(throws: VerificationError.self) {
                try Sample.verifier().verify(headers: headers, body: sample.body)
            }
            guard let error else { continue }
            codes.insert(error.code)
            for text in [error.message, error.description, String(describing: error), String(reflecting: error)] {
                for secret in [secretBase64, expectedBase64, "hunter"] {
                    #expect(!text.contains(secret))
                }
            }
        }
        #expect(codes == [.signatureMismatch, .missingHeaders, .malformedHeaders, .timestampOutOfTolerance])
    }

    @Test(
        "error codes have stable snake_case raw values",
        arguments: [
            (VerificationError.Code.missingHeaders, "missing_headers"),
            (.malformedHeaders, "malformed_headers"),
            (.timestampOutOfTolerance, "timestamp_out_of_tolerance"),
            (.signatureMismatch, "signature_mismatch"),
        ])
    func errorCodeRawValues(code: VerificationError.Code, rawValue: String) {
        #expect(code.rawValue == rawValue)
        #expect(code.description == rawValue)
    }
}
