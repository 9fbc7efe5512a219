import Crypto
import Foundation
import _CryptoExtras

/// Decrypts Engage event payloads encrypted "the same way as Soft identification": AES-256-CBC with PKCS#7 padding,
/// a random 16-byte IV before the ciphertext, the whole in URL-safe base64 without padding.
public struct PayloadDecryptor: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The length of the shared key, in characters of `[A-Za-z0-9]`.
    public static let keyLength = 32
    /// The AES block size, which is also the IV size.
    static let blockSize = 16

    /// The 32 ASCII bytes of the shared key, used as the AES-256 key.
    private let key: SymmetricKey

    /// Accepts the shared key: exactly 32 characters of `[A-Za-z0-9]`, whose ASCII bytes are the AES-256 key.
    ///
    /// Errors say what is wrong, never the key itself, because configuration errors end up in logs.
    public init(key: String) throws(PayloadKeyError) {
        if key.isEmpty {
            throw PayloadKeyError("payload key is empty; expected \(Self.keyLength) characters of A-Z, a-z, 0-9")
        }
        if key.contains(where: { $0.isWhitespace }) {
            throw PayloadKeyError(
                "payload key contains whitespace; remove spaces and line breaks (a key file must hold only the key)")
        }
        let count = key.count
        guard count == Self.keyLength else {
            throw PayloadKeyError(
                "payload key has \(count) characters; expected exactly \(Self.keyLength) characters of A-Z, a-z, 0-9")
        }
        if let position = key.utf8.firstIndex(where: { !Self.isASCIIAlphanumeric($0) }) {
            let offset = key.utf8.distance(from: key.utf8.startIndex, to: position) + 1
            throw PayloadKeyError(
                "payload key has a character other than A-Z, a-z, 0-9 (at byte \(offset)); "
                    + "expected exactly \(Self.keyLength) characters of A-Z, a-z, 0-9")
        }
        self.key = SymmetricKey(data: Array(key.utf8))
    }

    /// Decrypts one encoded payload into its plaintext bytes, which are checked to be valid UTF-8.
    ///
    /// Accepts URL-safe base64 (`-`, `_`, padding optional) and standard base64 (`+`, `/`, `=`).
    public func decrypt(_ encoded: String) throws(DecryptionError) -> [UInt8] {
        guard let bytes = Self.decodeBase64(encoded) else {
            throw DecryptionError(
                .invalidEncoding, "payload is not URL-safe or standard base64 (\(encoded.utf8.count) characters)")
        }
        guard bytes.count >= 2 * Self.blockSize else {
            throw DecryptionError(
                .tooShort,
                "payload decodes to \(bytes.count) bytes; expected at least \(2 * Self.blockSize) "
                    + "(a \(Self.blockSize)-byte IV and one block)")
        }
        let ciphertext = bytes[Self.blockSize...]
        guard ciphertext.count % Self.blockSize == 0 else {
            throw DecryptionError(
                .notBlockAligned,
                "payload ciphertext after the IV is \(ciphertext.count) bytes, not a multiple of \(Self.blockSize)")
        }
        let plaintext: Data
        do {
            let iv = try AES._CBC.IV(ivBytes: bytes[..<Self.blockSize])
            plaintext = try AES._CBC.decrypt(ciphertext, using: key, iv: iv)
        } catch {
            throw DecryptionError(
                .decryptionFailed, "payload padding is invalid after decryption; the key is probably wrong")
        }
        let plaintextBytes = Array(plaintext)
        guard String(validating: plaintextBytes, as: UTF8.self) != nil else {
            throw DecryptionError(.notUTF8, "decrypted payload is not valid UTF-8; the key is probably wrong")
        }
        return plaintextBytes
    }

    /// Encrypts `plaintext` as Engage does, for tests and tools: URL-safe base64 of IV‖ciphertext, without padding.
    ///
    /// `iv` must be 16 bytes when given; without it a random IV is used, as the sender does for every message.
    public func encrypt(_ plaintext: [UInt8], iv: [UInt8]? = nil) -> String {
        let encrypted: Data
        let ivValue: AES._CBC.IV
        do {
            if let iv {
                precondition(iv.count == Self.blockSize, "the IV must be \(Self.blockSize) bytes")
                ivValue = try AES._CBC.IV(ivBytes: iv)
            } else {
                ivValue = AES._CBC.IV()
            }
            encrypted = try AES._CBC.encrypt(plaintext, using: key, iv: ivValue)
        } catch {
            // With a 32-byte key and a 16-byte IV, AES-CBC encryption with padding has no failure left.
            preconditionFailure("AES-CBC encryption failed: \(error)")
        }
        var combined = Data(ivValue)
        combined.append(encrypted)
        return String(
            combined.base64EncodedString().compactMap { character -> Character? in
                switch character {
                case "+": "-"
                case "/": "_"
                case "=": nil
                default: character
                }
            })
    }

    /// A redacted description, so that the key never reaches a log by accident.
    public var description: String { "PayloadDecryptor(key: redacted)" }

    /// A redacted description, so that the key never reaches a log by accident.
    public var debugDescription: String { description }

    /// The bytes of URL-safe or standard base64 with optional padding, or nil when the text is neither.
    static func decodeBase64(_ text: String) -> [UInt8]? {
        var mapped: [UInt8] = []
        mapped.reserveCapacity(text.utf8.count + 2)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"): mapped.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): mapped.append(UInt8(ascii: "/"))
            default: mapped.append(byte)
            }
        }
        // Foundation's decoder requires padding, which the URL-safe form strips; restore it when absent.
        if !mapped.contains(UInt8(ascii: "=")) {
            switch mapped.count % 4 {
            case 0: break
            case 1: return nil
            default: mapped.append(contentsOf: repeatElement(UInt8(ascii: "="), count: 4 - mapped.count % 4))
            }
        }
        guard let data = Data(base64Encoded: Data(mapped)) else { return nil }
        return Array(data)
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
