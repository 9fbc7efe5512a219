import ArgumentParser
import Foundation
import Logging
import RelayCore
import RelayPlanning
import RelayServer

extension EngageRelayCommand {
    /// `engage-relay serve`: run the receiver.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the receiver.",
            discussion: "SIGHUP reloads the config (and reopens file sink files); SIGTERM or SIGINT drain and stop.")

        @Option(name: .shortAndLong, help: "The config file.")
        var config: String = "engage-relay.conf"

        @Option(help: "Log level (overrides `log-level`).")
        var logLevel: LogLevel?

        @Option(help: "Log format (overrides `log-format`): text, or json for one JSON object per line.")
        var logFormat: RelayLogging.Format?

        func run() async throws {
            // Until the reload handler is installed, a SIGHUP (a logrotate postrotate, say) must not end the process.
            signal(SIGHUP, SIG_IGN)
            let loaded = try ConfigLoading.load(config, quietWhenValid: true, secrets: .all)
            guard let plan = loaded.plan else { throw ExitCode(1) }
            do {
                _ = try OpenFileBudget.ensure(
                    OpenFileBudget.needed(
                        maxConnections: plan.limits.maxConnections,
                        operationsConnections: RelayServer.operationsConnectionLimit),
                    maxConnections: plan.limits.maxConnections)
            } catch {
                ConfigLoading.printError("error: \(error)")
                throw ExitCode(1)
            }
            RelayLogging.bootstrap(
                format: logFormat ?? RelayLogging.Format(rawValue: plan.log.format) ?? .text,
                level: logLevel?.level ?? Logger.Level(rawValue: plan.log.level) ?? .info)
            defer { LogOutput.standardError.flush() }
            let logger = Logger(label: "engage-relay")
            for warning in loaded.diagnostics.prefix(RelayRuntime.loggedDiagnostics) {
                logger.warning("config diagnostic", metadata: ["relay.diagnostic": .string(warning.line(in: loaded.source))])
            }
            let runtime: RelayRuntime
            do {
                runtime = try await RelayRuntime(plan: plan, logger: logger, registry: EngageRelayCommand.registry)
            } catch {
                ConfigLoading.printError("error: \(error)")
                throw ExitCode(1)
            }
            runtime.levelFromFlag = logLevel != nil
            try await runtime.run(
                onListening: { address in
                    logger.notice("engage-relay listening", metadata: runtime.plan.startupSummary(listening: address))
                },
                onMetricsListening: { address in
                    logger.notice("operations endpoints listening", metadata: ["relay.listen": .string(address.description)])
                })
            logger.notice("engage-relay stopped")
        }
    }
}

extension EngageRelayCommand.Serve {
    /// A `--log-level` value: swift-log's levels, spelt as in the config's `log-level`.
    enum LogLevel: String, CaseIterable, ExpressibleByArgument {
        case trace, debug, info, notice, warning, error, critical

        var level: Logger.Level {
            switch self {
            case .trace: .trace
            case .debug: .debug
            case .info: .info
            case .notice: .notice
            case .warning: .warning
            case .error: .error
            case .critical: .critical
            }
        }
    }
}

/// `--log-format text|json`.
extension RelayLogging.Format: ExpressibleByArgument {}

extension RelayPlan {
    /// What an operator needs to see at start: addresses, routes, sinks, spool, and which verification layers are
    /// on. Never a secret: only counts and on/off.
    func startupSummary(listening address: ListenAddress) -> Logger.Metadata {
        let verification = self.verification
        return [
            "relay.listen": .string(address.description),
            "relay.tls": .string(tls == nil ? "off" : "on"),
            "relay.path": .string(path),
            "relay.metrics": .string("\(metricsListen)/metrics"),
            "relay.routes": .stringConvertible(routes.routes.count),
            "relay.sinks": .string(sinks.map { "\($0.name)(\($0.kind.kind))" }.joined(separator: ",")),
            "relay.spool": .string(spool.kind == "postgres" ? spool.url.map { "\($0)" } ?? "postgres" : spool.path),
            "relay.spool.commit": .string(spool.commit),
            "relay.verify.secrets": .stringConvertible(verification.secrets.count),
            "relay.verify.public-keys": .stringConvertible(verification.publicKeys.count),
            "relay.verify.allowlist": .string(verification.allow.isEmpty ? "off" : verification.allow.map(\.text).joined(separator: ",")),
            "relay.verify.tolerance": .string(verification.tolerance.configText),
            "relay.verify.trust-proxy": .string(verification.trustedProxies.isEmpty ? "off" : "\(verification.trustedProxies.count) range(s)"),
            "relay.verify.header-token": .string(
                verification.headerTokens.isEmpty ? "off" : verification.headerTokens.map(\.token.name).joined(separator: ",")),
            "relay.verify.decrypt": .string(verification.decryption == nil ? "off" : "on"),
            "relay.verify.rate-limit": .string(verification.rateLimit == nil ? "off" : "on"),
            "relay.unrouted": .string(unrouted.rawValue),
        ]
    }
}
