import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayConfig
import WebhookVerification

extension EngageRelayCommand {
    /// `engage-relay send`: sign a body exactly as Svix does and POST it.
    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a JSON body like Svix (fresh msg_ id, current time) and POST it; print the status.")

        enum HeaderStyle: String, ExpressibleByArgument, CaseIterable {
            case svix, webhook
        }

        @Argument(help: "The body file to send, e.g. an Engage event JSON.")
        var file: String

        @Option(help: "Where to send it.")
        var url: String = "http://127.0.0.1:8080/webhooks/engage"

        @Option(help: "The signing secret: whsec_…, env:NAME or file:PATH.")
        var secret: String = "env:ENGAGE_SIGNING_SECRET"

        @Option(help: "Header names: svix (svix-id, …) or webhook (webhook-id, …).")
        var headerStyle: HeaderStyle = .svix

        @Option(help: "The message id (default: a fresh msg_… id).")
        var id: String?

        func run() async throws {
            let body: [UInt8]
            do {
                body = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            } catch {
                throw ValidationError("cannot read `\(file)`: \(error.localizedDescription)")
            }
            let webhookSecret: WebhookSecret
            do {
                webhookSecret = try WebhookSecret(
                    SecretSource(secret).resolve(environment: ProcessInfo.processInfo.environment))
            } catch let error as SecretResolutionError {
                throw ValidationError("cannot read the secret from \(SecretSource(secret)): \(error.message)")
            } catch {
                throw ValidationError("the secret from \(SecretSource(secret)) is not a signing secret: \(error)")
            }
            let messageId = id ?? Self.freshMessageId()
            let timestamp = Int64(Date().timeIntervalSince1970)
            let signature = WebhookSigner(secret: webhookSecret).signature(
                messageId: messageId, timestamp: timestamp, body: body)

            var request = HTTPClientRequest(url: url)
            request.method = .POST
            let prefix = headerStyle.rawValue
            request.headers.add(name: "\(prefix)-id", value: messageId)
            request.headers.add(name: "\(prefix)-timestamp", value: String(timestamp))
            request.headers.add(name: "\(prefix)-signature", value: signature)
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "user-agent", value: "engage-relay-send/1")
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
            let reply = try await response.body.collect(upTo: 64 * 1024)
            print("\(response.status.code) \(response.status.reasonPhrase) \(messageId)")
            if reply.readableBytes > 0 { print(String(buffer: reply)) }
            guard (200..<300).contains(response.status.code) else { throw ExitCode(1) }
        }

        static func freshMessageId() -> String {
            let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
            return "msg_" + String((0..<24).map { _ in alphabet.randomElement()! })
        }
    }
}
