// Baseline servers for benchmarks/run, on the same HTTP stack as the receiver:
//   relay-baseline bare   --port P             Hummingbird answering 204 without work (the stack's ceiling)
//   relay-baseline verify --port P --config F  the receiver's ingest path (size, signature, decode, routing) with an
//                                              intake that stores nothing (verification only, no spool)
import ArgumentParser
import EngageEvents
import EngageRelay
import Foundation
import Hummingbird
import Logging
import RelayServer

struct NoContent: HTTPResponder {
    typealias Context = BasicRequestContext
    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        Response(status: .noContent)
    }
}

/// Accepts every event without storing it.
struct DiscardingIntake: EventIntake {
    func accept(_ event: EngageEvent, sinks: [String]) async throws(IntakeError) -> IntakeReceipt { .accepted }
    func keepUndeliverable(
        messageId: String, body: [UInt8], receivedAt: Date, reason: UndeliverableReason
    ) async throws(IntakeError) -> IntakeReceipt { .accepted }
}

@main struct RelayBaseline: AsyncParsableCommand {
    @Argument(help: "bare or verify") var mode: String
    @Option var port = 18190
    @Option var config = ""

    func run() async throws {
        var logger = Logger(label: "relay-baseline")
        logger.logLevel = .warning
        switch mode {
        case "bare":
            let app = Application(
                responder: NoContent(), configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
            try await app.runService()
        case "verify":
            let loaded = try RelayPlan.load(
                path: config, registry: .builtIn, environment: ProcessInfo.processInfo.environment)
            guard let plan = loaded.plan else { throw ValidationError("invalid config \(config)") }
            let app = try RelayServer.application(
                plan: plan, intake: DiscardingIntake(), logger: logger)
            try await app.runService()
        default:
            throw ValidationError("mode is bare or verify")
        }
    }
}
