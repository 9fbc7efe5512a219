import ArgumentParser
import Foundation
import Logging
import RelayCore
import RelayPlanning

extension EngageRelayCommand {
    /// `engage-relay serve`: run the receiver.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the receiver.",
            discussion: "SIGHUP reloads the config (and reopens file sink files); SIGTERM or SIGINT drain and stop.")

        @Option(name: .shortAndLong, help: "The config file.")
        var config: String = "engage-relay.conf"

        @Option(help: "Log level (overrides `log-level`): trace, debug, info, notice, warning, error, critical.")
        var logLevel: String?

        @Option(help: "Log format (overrides `log-format`): text, or json for one JSON object per line.")
        var logFormat: String?

        func validate() throws {
            if let logLevel, Logger.Level(rawValue: logLevel) == nil {
                throw ValidationError("unknown log level `\(logLevel)`; use one of \(LogSettings.levels.joined(separator: ", "))")
            }
            if let logFormat, RelayLogging.Format(rawValue: logFormat) == nil {
                throw ValidationError("unknown log format `\(logFormat)`; use text or json")
            }
        }

        func run() async throws {
            // Until the reload handler is installed, a SIGHUP (a logrotate postrotate, say) must not end the process.
            signal(SIGHUP, SIG_IGN)
            let loaded = try ConfigLoading.load(config, quietWhenValid: true, secrets: .all)
            guard let plan = loaded.plan else { throw ExitCode(1) }
            RelayLogging.bootstrap(
                format: RelayLogging.Format(rawValue: logFormat ?? plan.log.format) ?? .text,
                level: Logger.Level(rawValue: logLevel ?? plan.log.level) ?? .info)
            let logger = Logger(label: "engage-relay")
            for warning in loaded.diagnostics {
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

extension RelayPlan {
    /// What an operator needs to see at start: addresses, routes, sinks, spool, and which verification layers are
    /// on. Never a secret: only counts and on/off.
    func startupSummary(listening address: ListenAddress) -> Logger.Metadata {
        let verification = self.verification
        return [
            "relay.listen": .string(address.description),
            "relay.tls": .string(tls == nil ? "off" : "on"),
            "relay.path": .string(path),
            "relay.metrics": .string(metricsListen.map { "\($0)/metrics" } ?? "\(address)/metrics"),
            "relay.routes": .stringConvertible(routes.routes.count),
            "relay.sinks": .string(sinks.map { "\($0.name)(\($0.kind.kind))" }.joined(separator: ",")),
            "relay.spool": .string(spool.path),
            "relay.spool.commit": .string(spool.commit),
            "relay.verify.secrets": .stringConvertible(verification.secrets.count),
            "relay.verify.public-keys": .stringConvertible(verification.publicKeys.count),
            "relay.verify.allowlist": .string(verification.allow.isEmpty ? "off" : verification.allow.map(\.text).joined(separator: ",")),
            "relay.verify.header-token": .string(verification.headerTokens.isEmpty ? "off" : "on"),
            "relay.verify.decrypt": .string(verification.decryption == nil ? "off" : "on"),
            "relay.verify.rate-limit": .string(verification.rateLimit == nil ? "off" : "on"),
            "relay.unrouted": .string(unrouted.rawValue),
        ]
    }
}
