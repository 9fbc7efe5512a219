import EngageEvents
import Foundation
import Logging
import RelayCore

/// The checks every sink kind must pass, built-in or custom: a declared contract, per-event outcomes for a batch,
/// and surviving close and reopen. Framework-neutral: it returns problems; a test asserts the list is empty.
///
/// ```swift
/// let problems = await SinkConformance.check(MySink.self, options: ["path": [.text(path)]]) { try readBack() }
/// #expect(problems.isEmpty, "\(problems)")
/// ```
public enum SinkConformance {
    /// Runs every check against `kind` configured with `options`.
    ///
    /// - Parameters:
    ///   - events: The batch to deliver (default: ``sampleEvents(count:)``); delivered twice, across a reopen.
    ///   - readBack: Returns the message ids the destination holds now, when the test can look (a file, a table,
    ///     a peer's log); every delivered event must be there.
    public static func check<S: Sink>(
        _ kind: S.Type, options: [String: [SinkOptionValue]], events: [EngageEvent] = sampleEvents(count: 5),
        readBack: (@Sendable () async throws -> [String])? = nil
    ) async -> [String] {
        var problems = declarationProblems(kind)
        let configuration = SinkConfiguration(name: "conformance", options: SinkOptions(options))
        let context = SinkContext(logger: Logger(label: "conformance"))
        let halves = [Array(events.prefix(events.count / 2)), Array(events.dropFirst(events.count / 2))]
        for (round, batch) in halves.enumerated() where !batch.isEmpty {
            do {
                let sink = try S(configuration: configuration, context: context)
                let outcomes = try await sink.deliver(batch)
                if outcomes.count != batch.count {
                    problems.append("round \(round + 1): \(outcomes.count) outcomes for a batch of \(batch.count)")
                }
                for (event, outcome) in zip(batch, outcomes) where outcome != .delivered {
                    problems.append("round \(round + 1): \(event.messageId) was not delivered: \(outcome)")
                }
                try await sink.close()
            } catch {
                problems.append("round \(round + 1): \(error)")
            }
        }
        if let readBack {
            do {
                let held = Set(try await readBack())
                let missing = events.map(\.messageId).filter { !held.contains($0) }
                if !missing.isEmpty { problems.append("not at the destination after delivery: \(missing)") }
            } catch {
                problems.append("reading the destination back failed: \(error)")
            }
        }
        return problems
    }

    /// Problems with how a kind declares itself (name, summary, options).
    public static func declarationProblems<S: Sink>(_ kind: S.Type) -> [String] {
        var problems: [String] = []
        if S.kind.isEmpty || S.kind != S.kind.lowercased() || S.kind.contains(where: { !$0.isLetter && $0 != "-" }) {
            problems.append("kind `\(S.kind)` is not a lowercase noun")
        }
        if S.summary.isEmpty { problems.append("kind `\(S.kind)` has no summary") }
        let names = S.options.map(\.name)
        if Set(names).count != names.count { problems.append("options are declared twice: \(names)") }
        let engine = Set(DeliveryPolicy.options.map(\.name))
        for option in S.options {
            if option.doc.isEmpty { problems.append("option `\(option.name)` has no doc") }
            if engine.contains(option.name) { problems.append("option `\(option.name)` clashes with an engine key") }
        }
        if S.defaultBatchSize < 1 || S.defaultMaxInFlight < 1 { problems.append("batch size and max-in-flight must be ≥ 1") }
        return problems
    }

    /// A batch of distinct Engage events (contact and point-balance types, a numeric balance, an offset date).
    public static func sampleEvents(count: Int) -> [EngageEvent] {
        (0..<count).map { index in
            let type: EventType = index.isMultiple(of: 2) ? .contactCreated : .pointBalanceUpdated
            let id = UUID().uuidString.lowercased()
            let body = #"{"eventType":"\#(type)","id":"\#(id)","isEncrypted":false,"payload":{"contactId":"c-\#(index)","balance":\#(1000 + index).25,"balanceExpires":"2024-12-31T23:59:59.999+01:00","note":"a \"quoted\" $(touch /tmp/x) `x`"},"tenant":"t\#(index % 2)"}"#
            return try! EngageEvent(
                decoding: Array(body.utf8), messageId: "msg_conf_\(id.prefix(8))_\(index)", receivedAt: Date())
        }
    }
}
