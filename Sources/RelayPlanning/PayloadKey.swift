import RelayCore
import WebhookVerification

/// The `decrypt` key of a plan, as the engine sees it.
struct PayloadKey: PayloadDecrypting {
    let decryptor: PayloadDecryptor

    func decryptPayload(_ ciphertext: String) throws(PayloadDecryptionFailure) -> [UInt8] {
        do {
            return try decryptor.decrypt(ciphertext)
        } catch {
            throw PayloadDecryptionFailure(code: "\(error.code)")
        }
    }
}
