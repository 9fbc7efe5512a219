import EngageEvents
import Foundation
import Testing
import WebhookVerification

/// The official Python `svix` package as an independent signer and verifier; `scripts/test` installs it.
enum SvixPeer {
    struct Case: Codable {
        let secret: String
        let id: String
        let timestamp: Int64
        let body: String
        /// Our signature, for the peer to verify.
        let ours: String
    }

    struct Answer: Codable {
        /// The peer's signature for the case.
        let signature: String
        /// Whether the peer accepted our signature.
        let verified: Bool
    }

    static let script = """
        import json, sys
        from datetime import datetime, timezone
        from svix.webhooks import Webhook, WebhookVerificationError
        answers = []
        for case in json.load(sys.stdin):
            webhook = Webhook(case["secret"])
            signed_at = datetime.fromtimestamp(case["timestamp"], tz=timezone.utc)
            signature = webhook.sign(case["id"], signed_at, case["body"])
            headers = {"svix-id": case["id"], "svix-timestamp": str(case["timestamp"]), "svix-signature": case["ours"]}
            try:
                webhook.verify(case["body"].encode(), headers)
                verified = True
            except WebhookVerificationError:
                verified = False
            answers.append({"signature": signature, "verified": verified})
        json.dump(answers, sys.stdout)
        """

    static let isAvailable: Bool = (try? run(["-c", "import svix"], input: Data()).status) == 0

    static func answer(_ cases: [Case]) throws -> [Answer] {
        let (status, output) = try run(["-c", script], input: try JSONEncoder().encode(cases))
        try #require(status == 0, "the Python svix peer failed")
        return try JSONDecoder().decode([Answer].self, from: output)
    }

    private static func run(_ arguments: [String], input: Data) throws -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}

@Suite("Interoperability with the official svix library")
struct SvixPeerTests {
    static let secrets = [
        Sample.secretText, Sample.otherSecretText,
        // 16 and 128 bytes, the ends of the accepted range; the first without padding or prefix.
        "AAECAwQFBgcICQoLDA0ODw",
        "whsec_" + Data((0..<128).map { UInt8($0) }).base64EncodedString(),
    ]

    static let bodies = [
        Sample.bodyText, "", "{\"note\":\"Åsa ☃ 🎉\"}", "line one\r\nline two\n", "{ \"spaced\" : [ 1 , 2 ] }\n",
        String(repeating: "{\"k\":\"v\"},", count: 10_000),
    ]

    @Test("signatures made by svix verify here, and ours verify in svix")
    func signaturesAgreeBothWays() throws {
        let now = RelayClock.system.unixSeconds()
        var cases: [SvixPeer.Case] = []
        for (index, secret) in Self.secrets.enumerated() {
            for body in Self.bodies {
                let id = "msg_peer\(index)_\(cases.count)"
                let ours = WebhookSigner(secret: try WebhookSecret(secret))
                    .signature(messageId: id, timestamp: now, body: Array(body.utf8))
                cases.append(SvixPeer.Case(secret: secret, id: id, timestamp: now, body: body, ours: ours))
            }
        }
        let answers = try SvixPeer.answer(cases)
        try #require(answers.count == cases.count)
        for (peerCase, answer) in zip(cases, answers) {
            #expect(answer.verified, "svix rejected our signature for \(peerCase.id)")
            #expect(answer.signature == peerCase.ours)
            let verifier = SignatureVerifier(secrets: [try WebhookSecret(peerCase.secret)], clock: .fixed(now))
            let headers = WebhookHeaders(id: peerCase.id, timestamp: String(now), signature: answer.signature)
            _ = try verifier.verify(headers: headers, body: Array(peerCase.body.utf8))
        }
    }

    @Test("svix rejects a signature of ours made with another secret, as we reject its")
    func mismatchAgreesBothWays() throws {
        let now = RelayClock.system.unixSeconds()
        let ours = WebhookSigner(secret: try WebhookSecret(Sample.otherSecretText))
            .signature(messageId: "msg_peer", timestamp: now, body: Array(Sample.bodyText.utf8))
        let cases = [
            SvixPeer.Case(secret: Sample.secretText, id: "msg_peer", timestamp: now, body: Sample.bodyText, ours: ours)
        ]
        let answer = try #require(try SvixPeer.answer(cases).first)
        #expect(!answer.verified)
        let verifier = SignatureVerifier(secrets: [try WebhookSecret(Sample.otherSecretText)], clock: .fixed(now))
        let headers = WebhookHeaders(id: "msg_peer", timestamp: String(now), signature: answer.signature)
        let error = #expect(throws: VerificationError.self) {
            try verifier.verify(headers: headers, body: Array(Sample.bodyText.utf8))
        }
        #expect(error?.code == .signatureMismatch)
    }
}
