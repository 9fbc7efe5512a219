import NIOCore
import NIOSSL
import Synchronization

/// The certificate chain and private key of the HTTPS listener, read from PEM files and replaceable while the
/// listener runs: each new handshake uses the credentials held at that moment (a reload re-reads the files).
public final class TLSCredentials: Sendable {
    private struct Loaded: Sendable {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
    }

    private let loaded: Mutex<Loaded>

    /// Reads `certificatePath` (the chain, leaf first) and `keyPath`; throws a clear error when either is unusable.
    public init(certificatePath: String, keyPath: String) throws(TLSCredentialsError) {
        loaded = Mutex(try Self.read(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// Re-reads the files; on failure the credentials in use stay.
    public func reload(certificatePath: String, keyPath: String) throws(TLSCredentialsError) {
        let fresh = try Self.read(certificatePath: certificatePath, keyPath: keyPath)
        loaded.withLock { $0 = fresh }
    }

    /// A server configuration whose handshakes take the current credentials.
    func serverConfiguration() -> TLSConfiguration {
        let initial = loaded.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: initial.chain.map { .certificate($0) }, privateKey: .privateKey(initial.key))
        configuration.sslContextCallback = { [self] _, promise in
            let current = loaded.withLock { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = current.chain.map { .certificate($0) }
            override.privateKey = .privateKey(current.key)
            promise.succeed(override)
        }
        return configuration
    }

    private static func read(certificatePath: String, keyPath: String) throws(TLSCredentialsError) -> Loaded {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TLSCredentialsError("cannot read the TLS certificate `\(certificatePath)`: \(error)")
        }
        guard !chain.isEmpty else { throw TLSCredentialsError("`\(certificatePath)` holds no PEM certificate") }
        do {
            return Loaded(chain: chain, key: try NIOSSLPrivateKey(file: keyPath, format: .pem))
        } catch {
            // The key's content is never part of the message.
            throw TLSCredentialsError("cannot read the TLS private key `\(keyPath)` (PEM expected)")
        }
    }
}

/// The TLS certificate or key could not be used; the message names the file.
public struct TLSCredentialsError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let description: String

    init(_ description: String) { self.description = description }
}
