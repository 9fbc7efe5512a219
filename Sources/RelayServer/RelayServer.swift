import EngageEvents
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import RelayCore
import RelayPlanning
import WebhookVerification

/// The receiver's HTTP application for a validated plan.
public enum RelayServer {
    /// Builds the Hummingbird application over live settings; `onListening` receives the bound address (useful with
    /// port 0). With `tls`, the listener speaks HTTPS with the credentials it holds at each handshake.
    public static func application(
        plan: RelayPlan, settings: LiveIngestSettings, intake: any EventIntake, drain: DrainState = DrainState(),
        metrics: RelayMetrics = .none, tls: TLSCredentials? = nil, logger: Logger,
        onListening: @escaping @Sendable (ListenAddress) async -> Void = { _ in }
    ) throws -> Application<IngestResponder> {
        let refusals = LogThrottle()
        let responder = IngestResponder(
            settings: settings, intake: intake, drain: drain, metrics: metrics, refusals: refusals,
            bodies: BodyBudget(limit: Int(plan.limits.maxBuffered)), logger: logger)
        let host = plan.listen.host
        let limits = plan.limits
        let http1 = HTTPServerBuilder.http1(
            configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [
                    SourceGate(settings: settings) { peer in
                        metrics.request(outcome: "source_not_allowed")
                        refusals.log(
                            logger, .notice, "connection refused",
                            metadata: ["relay.reason": "source_not_allowed", "relay.source": .string(peer)])
                    },
                    ReadTimeoutHandler(
                        headTimeout: TimeAmount(limits.headerTimeout), bodyTimeout: TimeAmount(limits.bodyTimeout)),
                ]))
        return Application(
            responder: responder,
            server: try tls.map { try .tls(http1, tlsConfiguration: $0.serverConfiguration()) } ?? http1,
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: plan.listen.port), serverName: nil,
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections)),
            onServerRunning: { channel in
                await onListening(ListenAddress(host: host, port: channel.localAddress?.port ?? plan.listen.port))
            },
            logger: logger
        )
    }

    /// Builds the application for a plan with fixed settings.
    public static func application(
        plan: RelayPlan, clock: RelayClock = .system, intake: any EventIntake, drain: DrainState = DrainState(),
        logger: Logger, onListening: @escaping @Sendable (ListenAddress) async -> Void = { _ in }
    ) throws -> Application<IngestResponder> {
        try application(
            plan: plan, settings: LiveIngestSettings(IngestSettings(plan: plan, clock: clock)), intake: intake,
            drain: drain, logger: logger, onListening: onListening)
    }

    /// The most connections the operations listener serves at once: probes and scrapers, never a crowd.
    public static let operationsConnectionLimit = 64

    /// The operations listener (`metrics-listen`, loopback by default): `/metrics`, `/healthz` and `/readyz` only,
    /// with the same read timeouts (and keep-alive idle limit) as ingest and a cap of its own on connections.
    public static func operationsApplication(
        address: ListenAddress, limits: ConnectionLimits, operations: OperationsEndpoints, drain: DrainState,
        logger: Logger, onListening: @escaping @Sendable (ListenAddress) async -> Void = { _ in }
    ) -> Application<OperationsResponder> {
        Application(
            responder: OperationsResponder(operations: operations, drain: drain),
            server: .http1(
                configuration: HTTP1Channel.Configuration(
                    additionalChannelHandlers: [
                        ReadTimeoutHandler(
                            headTimeout: TimeAmount(limits.headerTimeout), bodyTimeout: TimeAmount(limits.bodyTimeout))
                    ])),
            configuration: ApplicationConfiguration(
                address: .hostname(address.host, port: address.port), serverName: nil,
                availableConnectionsDelegate: MaximumAvailableConnections(operationsConnectionLimit)),
            onServerRunning: { channel in
                await onListening(ListenAddress(host: address.host, port: channel.localAddress?.port ?? address.port))
            },
            logger: logger)
    }
}

/// Answers the operator endpoints on the operations listener.
public struct OperationsResponder: HTTPResponder {
    /// The request context.
    public typealias Context = IngestContext

    let operations: OperationsEndpoints
    let drain: DrainState

    /// Serves `/metrics`, `/healthz` and `/readyz`; 404 for anything else.
    public func respond(to request: Request, context: IngestContext) async throws -> Response {
        await response(to: request, path: request.uri.path)
    }

    /// `/healthz`, `/readyz`, `/metrics`, or 404.
    func response(to request: Request, path: String) async -> Response {
        let served = path == "/healthz" || path == "/readyz" || (path == "/metrics" && operations.metricsText != nil)
        guard served else { return IngestResponder.response(for: .notFound) }
        guard request.method == .get || request.method == .head else {
            return IngestResponder.response(for: .methodNotAllowed, allow: "GET, HEAD")
        }
        switch path {
        case "/healthz":
            return IngestResponder.json(.ok, #"{"status":"ok"}"#)
        case "/readyz":
            var failing = await operations.failingReadinessChecks()
            if drain.isDraining { failing.append("draining") }
            guard failing.isEmpty else {
                let list = failing.map { "\"\($0)\"" }.joined(separator: ",")
                return IngestResponder.json(.serviceUnavailable, #"{"status":"not_ready","failing":[\#(list)]}"#)
            }
            return IngestResponder.json(.ok, #"{"status":"ready"}"#)
        default:
            let text = await operations.metricsText?() ?? []
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }

}
