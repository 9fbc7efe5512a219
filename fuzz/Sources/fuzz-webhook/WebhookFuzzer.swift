import EngageEvents
import FuzzSupport
import WebhookVerification

/// The signing secrets and public key of the vectors in Tests/WebhookVerificationTests/Fixtures/svix-signatures.json,
/// so that seeds made from the vectors verify and mutations of them reach every check.
private let secrets = [
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    "whsec_plJ3nmyCDGBKInavdOK15jsl",
].map { try! WebhookSecret($0) }
private let publicKeys = [try! WebhookPublicKey("whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=")]
/// The timestamp of most vectors; a `now:` line in the input sets another.
private let defaultNow: Int64 = 1_614_265_330

/// Webhook header picking and signature verification over fuzzed header values.
///
/// The input is HTTP-like: `name: value` lines, an empty line, then the body. A `now: SECONDS` line sets the
/// verifier's clock (any Int64, to reach the tolerance arithmetic at its limits); `secret:` and `public-key:` lines
/// go through the key parsers and, when valid, are accepted too; every other line is a header field.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebhook(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let (lines, body) = FuzzInput(data, size).headerLinesAndBody
    var now = defaultNow
    var fields: [(name: String, value: String)] = []
    var acceptedSecrets = secrets
    var acceptedKeys = publicKeys
    for line in lines {
        let name = line.prefix { $0 != ":" }
        var value = line.dropFirst(name.count).dropFirst()
        while value.first == " " || value.first == "\t" { value = value.dropFirst() }
        if name == "now", let seconds = Int64(value) {
            now = seconds
        } else if name == "secret" {
            if let secret = try? WebhookSecret(String(value)) { acceptedSecrets.append(secret) }
        } else if name == "public-key" {
            if let key = try? WebhookPublicKey(String(value)) { acceptedKeys.append(key) }
        } else {
            fields.append((name: String(name), value: String(value)))
        }
    }
    let headers = WebhookHeaders(fields: fields)
    let verifier = SignatureVerifier(secrets: acceptedSecrets, publicKeys: acceptedKeys, clock: .fixed(now))
    do {
        let delivery = try verifier.verify(headers: headers, body: body)
        invariant(delivery.body == body, "the verified body is the body received")
        invariant(delivery.messageId == headers.id, "the verified message id is the header's")
    } catch {
        _ = error.description
    }
    return 0
}

@main enum WebhookFuzzer {
    static func main() { runFuzzer(fuzzWebhook) }
}
