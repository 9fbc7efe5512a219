import Testing
import WebhookVerification

@Suite("WebhookHeaders")
struct WebhookHeadersTests {
    @Test(
        "svix- header names are matched case-insensitively",
        arguments: [
            ("svix-id", "svix-timestamp", "svix-signature"), ("Svix-Id", "Svix-Timestamp", "Svix-Signature"),
            ("SVIX-ID", "SVIX-TIMESTAMP", "SVIX-SIGNATURE"), ("sViX-iD", "SvIx-TiMeStAmP", "svix-SIGNATURE"),
        ])
    func svixNamesAnyCase(id: String, timestamp: String, signature: String) {
        let headers = WebhookHeaders(fields: [
            (name: "Content-Type", value: "application/json"),
            (name: id, value: "msg_1"), (name: timestamp, value: "1614265330"), (name: signature, value: "v1,abc"),
        ])
        #expect(headers == WebhookHeaders(id: "msg_1", timestamp: "1614265330", signature: "v1,abc"))
    }

    @Test("the unbranded webhook- set is used when no svix- headers are present")
    func webhookNames() {
        let headers = WebhookHeaders(fields: [
            (name: "Webhook-Id", value: "msg_1"), (name: "WEBHOOK-TIMESTAMP", value: "1614265330"),
            (name: "webhook-signature", value: "v1,abc"),
        ])
        #expect(headers == WebhookHeaders(id: "msg_1", timestamp: "1614265330", signature: "v1,abc"))
    }

    @Test("each svix- header is preferred over its webhook- counterpart, in any order")
    func svixPreferred() {
        let fields: [(name: String, value: String)] = [
            (name: "webhook-id", value: "msg_webhook"), (name: "svix-id", value: "msg_svix"),
            (name: "svix-timestamp", value: "1"), (name: "webhook-timestamp", value: "2"),
            (name: "webhook-signature", value: "v1,webhook"), (name: "Svix-Signature", value: "v1,svix"),
        ]
        let expected = WebhookHeaders(id: "msg_svix", timestamp: "1", signature: "v1,svix")
        #expect(WebhookHeaders(fields: fields) == expected)
        #expect(WebhookHeaders(fields: fields.reversed()) == expected)
    }

    @Test("a mixed set is completed per header from the other brand")
    func mixedSet() {
        let headers = WebhookHeaders(fields: [
            (name: "svix-id", value: "msg_1"), (name: "webhook-timestamp", value: "2"),
            (name: "webhook-signature", value: "v1,abc"),
        ])
        #expect(headers == WebhookHeaders(id: "msg_1", timestamp: "2", signature: "v1,abc"))
    }

    @Test("absent headers stay nil, and look-alike names are ignored")
    func absentAndLookAlikes() {
        let headers = WebhookHeaders(fields: [
            (name: "svix-ids", value: "x"), (name: "svix_id", value: "x"), (name: "x-svix-id", value: "x"),
            (name: "svix-", value: "x"), (name: "webhook-timestamp2", value: "x"), (name: "signature", value: "x"),
            (name: "svix-signature", value: "v1,abc"),
        ])
        #expect(headers == WebhookHeaders(id: nil, timestamp: nil, signature: "v1,abc"))
    }

    @Test("when a header name repeats, its first value is used")
    func firstValueWins() {
        let headers = WebhookHeaders(fields: [
            (name: "svix-id", value: "msg_first"), (name: "SVIX-ID", value: "msg_second"),
        ])
        #expect(headers.id == "msg_first")
    }

    @Test("a delivery with a webhook- signature but a svix- signature that is wrong fails, because svix- wins")
    func preferenceDecidesVerification() throws {
        let sample = Sample()
        let fields: [(name: String, value: String)] = [
            (name: "svix-id", value: sample.id), (name: "svix-timestamp", value: String(sample.timestamp)),
            (name: "svix-signature", value: "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="),
            (name: "webhook-signature", value: try sample.signature),
        ]
        let error = #expect(throws: VerificationError.self) {
            try Sample.verifier().verify(headers: WebhookHeaders(fields: fields), body: sample.body)
        }
        #expect(error?.code == .signatureMismatch)

        let unbranded = fields.filter { $0.name != "svix-signature" }
        _ = try Sample.verifier().verify(headers: WebhookHeaders(fields: unbranded), body: sample.body)
    }
}
