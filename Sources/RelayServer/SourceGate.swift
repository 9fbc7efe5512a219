import NIOCore
import NIOHTTPTypes
import RelayConfig
import WebhookVerification

/// Closes a connection as soon as it is accepted when its peer can never be admitted: `allow` is set, and the peer
/// is neither allowed nor a trusted proxy (whose forwarded client is judged per request). A refused source then
/// holds no connection slot and reads no byte of a body.
final class SourceGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let settings: LiveIngestSettings
    private let onRefusal: @Sendable (String) -> Void

    init(settings: LiveIngestSettings, onRefusal: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.onRefusal = onRefusal
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { gate(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        gate(context)
        context.fireChannelActive()
    }

    private func gate(_ context: ChannelHandlerContext) {
        let policy = settings.current.sourcePolicy
        guard !policy.allow.isEmpty else { return }
        guard let text = context.channel.remoteAddress?.ipAddress, let peer = IPAddress(text) else { return }
        guard !policy.allows(peer), !policy.isTrustedProxy(peer) else { return }
        onRefusal(peer.description)
        context.close(promise: nil)
    }
}
