import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import RelayCore
import WebhookVerification

/// The receiver's HTTP application for a validated plan.
public enum RelayServer {
    /// Builds the Hummingbird application; `onListening` receives the bound address (useful with port 0).
    public static func application(
        plan: RelayPlan, verifier: SignatureVerifier, intake: any EventIntake, drain: DrainState = DrainState(),
        logger: Logger, onListening: @escaping @Sendable (ListenAddress) async -> Void = { _ in }
    ) -> Application<IngestResponder> {
        let responder = IngestResponder(plan: plan, verifier: verifier, intake: intake, drain: drain, logger: logger)
        let host = plan.listen.host
        let limits = plan.limits
        return Application(
            responder: responder,
            server: .http1(
                configuration: HTTP1Channel.Configuration(
                    additionalChannelHandlers: [
                        ReadTimeoutHandler(
                            headTimeout: .nanoseconds(Int64(limits.headerTimeout.seconds * 1e9)),
                            bodyTimeout: .nanoseconds(Int64(limits.bodyTimeout.seconds * 1e9)))
                    ])),
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: plan.listen.port), serverName: nil,
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections)),
            onServerRunning: { channel in
                await onListening(ListenAddress(host: host, port: channel.localAddress?.port ?? plan.listen.port))
            },
            logger: logger
        )
    }
}
