import CoreMetrics
import EngageEvents
import Logging

/// The built sinks of a plan, by name.
public struct SinkSet: Sendable {
    /// The sinks in config order.
    public let sinks: [(name: String, sink: any Sink)]

    /// Builds the declared sinks, each with a context holding `logger`, `metrics`, `clock` and `redactor`; the first
    /// failure is thrown after closing the ones already built.
    public static func build(
        _ declarations: [SinkPlan], logger: Logger, metrics: any MetricsFactory = NOOPMetricsHandler.instance,
        clock: RelayClock = .system, redactor: SecretRedactor = SecretRedactor()
    ) async throws -> SinkSet {
        var built: [(name: String, sink: any Sink)] = []
        for declaration in declarations {
            var sinkLogger = logger
            sinkLogger[metadataKey: "relay.sink"] = .string(declaration.name)
            let context = SinkContext(logger: sinkLogger, metrics: metrics, clock: clock, redactor: redactor)
            do {
                built.append((declaration.name, try declaration.kind.make(declaration.configuration, context)))
            } catch {
                await SinkSet(sinks: built).close(logger: logger)
                throw error
            }
        }
        return SinkSet(sinks: built)
    }

    /// Creates a set from built sinks.
    public init(sinks: [(name: String, sink: any Sink)]) { self.sinks = sinks }

    /// The sink called `name`.
    public subscript(name: String) -> (any Sink)? { sinks.first { $0.name == name }?.sink }

    /// Closes every sink, logging (not throwing) failures so every sink gets its chance; sinks still closing after
    /// `timeout` (stuck in I/O) are given up on, so no sink holds up a shutdown or a reload.
    public func close(logger: Logger, within timeout: Duration = .seconds(5)) async {
        let deadline = AbandonSignal.after(timeout)
        defer { deadline.dismiss() }
        for (name, sink) in sinks {
            let failure = await unlessAbandoned(deadline) { () async -> String? in
                do {
                    try await sink.close()
                    return nil
                } catch {
                    return "\(error)"
                }
            }
            switch failure {
            case .some(nil):
                break
            case .some(let error?):
                logger.error("sink close failed", metadata: ["relay.sink": .string(name), "relay.error": .string(error)])
            case nil:
                logger.error(
                    "sink close given up on: still closing after \(timeout)", metadata: ["relay.sink": .string(name)])
            }
        }
    }
}
