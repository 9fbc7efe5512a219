import EngageEvents
import EngageLedger
import Foundation
import Logging
import MetricsTestKit
import RelayConfig
import RelayCore
import RelayPlanning
import RelayTesting
import Testing

@Suite struct LedgerSinkTests {
    func sink(
        _ directory: URL, _ options: [String: [SinkOptionValue]] = [:], metrics: TestMetrics = TestMetrics(),
        clock: RelayClock = .system
    ) throws -> LedgerSink {
        let configuration = SinkConfiguration(
            name: "points",
            options: SinkOptions(options.merging(["directory": [.text(directory.path)]]) { _, new in new }))
        return try LedgerSink(
            configuration: configuration,
            context: SinkContext(logger: Logger(label: "test"), metrics: metrics, clock: clock))
    }

    @Test func passesTheConformanceChecksEveryBuiltInSinkPasses() async throws {
        let directory = try Fixtures.temporaryFolder()
        let options: [String: [SinkOptionValue]] = [
            "directory": [.text(directory.path)], "column": [.text("message-id"), .text("balance")],
        ]
        let problems = await SinkConformance.check(
            LedgerSink.self, options: options, events: Fixtures.balanceEvents(count: 6)
        ) {
            try ["t0.csv", "t1.csv"].flatMap { try Ledger.rows(directory.appendingPathComponent($0)) }
                .compactMap { $0["message-id"] }
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func writesOneFilePerTenantWithOneHeaderAndTheDefaultColumns() async throws {
        let directory = try Fixtures.temporaryFolder()
        let events = Fixtures.balanceEvents(count: 4)
        let ledger = try sink(directory)
        #expect(try await ledger.deliver(Array(events.prefix(2))) == [.delivered, .delivered])
        #expect(try await ledger.deliver(Array(events.dropFirst(2))) == [.delivered, .delivered])

        let lines = try Ledger.lines(directory.appendingPathComponent("t0.csv"))
        #expect(lines.first == "received-at,event-id,contact-id,balance,balance-expires")
        #expect(lines.count == 3)
        let rows = try Ledger.rows(directory.appendingPathComponent("t1.csv"))
        #expect(rows.map { $0["event-id"] } == [events[1].id, events[3].id])
        #expect(rows.map { $0["balance"] } == ["1001.25", "1003.25"])
        #expect(rows.first?["balance-expires"] == "2024-12-31T23:59:59.999+01:00")
        #expect(rows.first?["contact-id"] == "c-1")
        let received = try #require(rows.first?["received-at"])
        #expect(try Date(received, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) <= Date())
    }

    @Test func writesTheColumnsTheBlockNamesInItsOrderWithTheTimeFromTheEngineClock() async throws {
        let directory = try Fixtures.temporaryFolder()
        let clock = RelayClock.fixed(Date(timeIntervalSince1970: 1_700_000_000))
        let columns: [SinkOptionValue] = ["written-at", "tenant", "account-id", "definition-id", "balance"].map {
            .text($0)
        }
        let ledger = try sink(directory, ["column": columns, "header": [.boolean(false)]], clock: clock)
        let event = Fixtures.balanceEvents(count: 1)[0]
        #expect(try await ledger.deliver([event]) == [.delivered])
        #expect(
            try Ledger.lines(directory.appendingPathComponent("t0.csv")) == ["2023-11-14T22:13:20.000Z,t0,0,1,1000.25"])
    }

    @Test func refusesOtherEventTypesAndEventsItCannotFileForGoodWithoutWritingThem() async throws {
        let directory = try Fixtures.temporaryFolder()
        let ledger = try sink(directory)
        let good = Fixtures.balanceEvents(count: 1)[0]
        let batch = [
            Fixtures.event(type: "contact.created"),
            good,
            Fixtures.event(type: "point.balance.updated", tenant: nil, payload: #"{"balance":5}"#),
            Fixtures.event(type: "point.balance.updated", tenant: "../etc", payload: #"{"balance":5}"#),
            Fixtures.event(type: "point.balance.updated", payload: #"{"contactId":"c-9"}"#),
        ]
        let outcomes = try await ledger.deliver(batch)
        #expect(outcomes.count == 5)
        #expect(outcomes[1] == .delivered)
        for (index, outcome) in outcomes.enumerated() where index != 1 {
            guard case .failed(let reason) = outcome else {
                Issue.record("event \(index): \(outcome)")
                continue
            }
            #expect(!reason.isEmpty)
        }
        #expect(
            outcomes[0]
                == .failed(
                    reason:
                        "the ledger takes point.balance.updated events, not contact.created; route only point.balance.updated to this sink"
                ))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["t0.csv"])
        #expect(try Ledger.rows(directory.appendingPathComponent("t0.csv")).map { $0["event-id"] } == [good.id])
    }

    @Test func quotesFieldsWithCommasQuotesAndLineBreaks() async throws {
        let directory = try Fixtures.temporaryFolder()
        let ledger = try sink(
            directory, ["column": [.text("contact-id"), .text("balance")], "header": [.boolean(false)]])
        let event = Fixtures.event(
            type: "point.balance.updated", payload: #"{"contactId":"a,\"b\"\nc","balance":"12.50"}"#)
        #expect(try await ledger.deliver([event]) == [.delivered])
        let text = try String(contentsOf: directory.appendingPathComponent("t0.csv"), encoding: .utf8)
        #expect(text == "\"a,\"\"b\"\"\nc\",12.5\n")
    }

    @Test func countsTheLinesItWritesThroughTheContextsMetricsFactory() async throws {
        let metrics = TestMetrics()
        let ledger = try sink(try Fixtures.temporaryFolder(), metrics: metrics)
        _ = try await ledger.deliver(Fixtures.balanceEvents(count: 3) + [Fixtures.event(type: "contact.created")])
        let counter = try metrics.expectCounter("engage_relay_ledger_lines_total", [("sink", "points")])
        #expect(counter.totalValue == 3)
    }

    @Test func startsAHeaderAgainWhenTheFileWasEmptiedAndRefusesBatchesAfterClose() async throws {
        let directory = try Fixtures.temporaryFolder()
        let file = directory.appendingPathComponent("t0.csv")
        let ledger = try sink(directory, ["column": [.text("balance")]])
        _ = try await ledger.deliver(Fixtures.balanceEvents(count: 1))
        try Data().write(to: file)
        _ = try await ledger.deliver(Fixtures.balanceEvents(count: 1))
        #expect(try Ledger.lines(file) == ["balance", "1000.25"])
        try await ledger.close()
        await #expect(throws: SinkError.self) { try await ledger.deliver(Fixtures.balanceEvents(count: 1)) }
    }

    @Test func aConfigWithATypoInAColumnNameFailsCheckWithASuggestion() throws {
        let folder = try Fixtures.temporaryFolder()
        let config = folder.appendingPathComponent("typo.conf")
        try """
        listen 127.0.0.1:0
        verify { secret env:LEDGER_TEST_SECRET }
        spool { path ./spool.db }
        sink points ledger {
            directory ./ledger
            column balanse
        }
        route point.balance.updated -> points
        """.write(to: config, atomically: true, encoding: .utf8)
        let loaded = try RelayPlan.load(
            path: config.path, registry: SinkRegistry().adding(LedgerSink.self),
            environment: ["LEDGER_TEST_SECRET": PythonSvix.testSecret])
        #expect(loaded.plan == nil)
        let errors = loaded.diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.range.start.line == 6)
        #expect(errors.first?.suggestion == "did you mean `balance`?")
    }
}
