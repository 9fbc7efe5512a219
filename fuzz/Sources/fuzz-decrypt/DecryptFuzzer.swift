import FuzzSupport
import WebhookVerification

/// The two keys of Tests/WebhookVerificationTests/Fixtures/engage-decryption.json.
private let decryptors = ["DaqfT7Ys6tGqM3zbesEKpmacTJEqBCp2", "Zx9Qp2Lm4Nv6Rt8Wy0Ab1Cd3Ef5Gh7Jk"].map {
    try! PayloadDecryptor(key: $0)
}

/// Payload decryption over any text: base64 in both alphabets with and without padding, lengths, block alignment,
/// PKCS#7 padding and the UTF-8 check; anything that decrypts must encrypt and decrypt back to itself. The first
/// line is also tried as a key, whose checks must reject without trapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecrypt(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let text = input.text
    for decryptor in decryptors {
        guard let plaintext = try? decryptor.decrypt(text) else { continue }
        let again = try? decryptor.decrypt(decryptor.encrypt(plaintext))
        invariant(again == plaintext, "encrypt then decrypt returns the plaintext")
    }
    if let key = input.lines(2)[0], let decryptor = try? PayloadDecryptor(key: key) {
        _ = try? decryptor.decrypt(text)
    }
    return 0
}

@main enum DecryptFuzzer {
    static func main() { runFuzzer(fuzzDecrypt) }
}
