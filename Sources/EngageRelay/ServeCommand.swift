import ArgumentParser
import Foundation
import Logging
import RelayCore

extension EngageRelayCommand {
    /// `engage-relay serve`: run the receiver.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the receiver.")

        @Option(name: .shortAndLong, help: "The config file.")
        var config: String = "engage-relay.conf"

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String = "info"

        func validate() throws {
            guard Logger.Level(rawValue: logLevel) != nil else {
                throw ValidationError("unknown log level `\(logLevel)`")
            }
        }

        func run() async throws {
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "engage-relay")
            guard let plan = try ConfigLoading.load(config).plan else { throw ExitCode(1) }
            let runtime: RelayRuntime
            do {
                runtime = try await RelayRuntime(plan: plan, logger: logger)
            } catch {
                ConfigLoading.printError("error: \(error)")
                throw ExitCode(1)
            }
            try await runtime.run { address in
                logger.info(
                    "engage-relay listening",
                    metadata: [
                        "relay.listen": .string(address.description), "relay.path": .string(plan.path),
                        "relay.routes": .stringConvertible(plan.routes.routes.count),
                        "relay.sinks": .string(plan.sinks.map(\.name).joined(separator: ",")),
                    ])
            }
        }
    }
}
