import EngageEvents
import Foundation
import Logging
import RelayConfig
import RelayCore
import RelayPostgresSink
import RelayTesting
import Testing

/// The `postgres` sink against a real PostgreSQL server, read back with `psql`.
@Suite struct PostgresSinkTests {
    static let projections: [[String]] = [
        ["amount", "payload.amount", "numeric"],
        ["big", "payload.big", "numeric"],
        ["first_qty", "payload.ITEMS[0].Qty", "integer"],
        ["ratio", "payload.ratio", "real"],
        ["note", "payload.note"],
        ["nowhere", "payload.missing.deeper", "integer"],
    ]

    static func options(_ url: String, table: String? = nil, columns: [[String]] = projections)
        -> [String: [SinkOptionValue]]
    {
        var options: [String: [SinkOptionValue]] = [
            "url": [.secret(source: .literal(url), value: url)], "column": columns.map { .words($0) },
        ]
        if let table { options["table"] = [.text(table)] }
        return options
    }

    static func makeSink(_ url: String, table: String? = nil, timeout: Duration? = nil) throws -> PostgresSink {
        var options = options(url, table: table)
        if let timeout { options["timeout"] = [.duration(timeout)] }
        return try PostgresSink(
            configuration: SinkConfiguration(name: "warehouse", options: SinkOptions(options)),
            context: SinkContext(logger: Logger(label: "test")))
    }

    static func vouchers(_ count: Int, note: String = "räksmörgås") -> [EngageEvent] {
        (0..<count).map { index in
            let body = """
                {"eventType":"reward.voucher.created","id":"voucher-\(index)","tenant":"se","payload":{"ContactId":\
                "pc-\(index)","Amount":2500.75,"Items":[{"Sku":"A\(index)","Qty":\(index + 2)}],\
                "Ratio":0.5,"Big":"12345678901234567.891","Note":"\(note)"}}
                """
            return try! EngageEvent(
                decoding: Array(body.utf8), messageId: "msg_voucher_\(index)",
                receivedAt: Date(timeIntervalSince1970: 1_714_566_896.75))
        }
    }

    @Test func passesTheSinkContract() async throws {
        let url = try await TestPostgres.shared.freshDatabase(prefix: "sink")
        let problems = await SinkConformance.check(PostgresSink.self, options: Self.options(url)) {
            try await TestPostgres.shared.psql(url, "SELECT message_id FROM engage_events").split(separator: "\n").map(String.init)
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func aBatchDeliveredTwiceLeavesOneRowPerEventWithExactProjections() async throws {
        let url = try await TestPostgres.shared.freshDatabase(prefix: "sink")
        let events = SinkConformance.sampleEvents(count: 3) + Self.vouchers(2)
        let sink = try Self.makeSink(url)
        #expect(try await sink.deliver(events) == Array(repeating: .delivered, count: 5))
        #expect(try await sink.deliver(events) == Array(repeating: .delivered, count: 5))
        try await sink.close()
        let psql = TestPostgres.shared
        #expect(try await psql.psql(url, "SELECT count(*), count(DISTINCT event_id) FROM engage_events") == "5|5")
        let row = try await psql.psql(
            url,
            """
            SELECT amount, big, first_qty, ratio, note, nowhere IS NULL, contact_id, tenant, payload->>'Currency' IS NULL,
                received_at = to_timestamp(1714566896.75), pg_typeof(amount), pg_typeof(first_qty)
            FROM engage_events WHERE event_id = 'voucher-1'
            """)
        #expect(row == "2500.75|12345678901234567.891|3|0.5|räksmörgås|t|pc-1|se|t|t|numeric|bigint", "\(row)")
        let indexes = try await psql.psql(url, "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'engage_events'")
        #expect(indexes == "engage_events_contact_id,engage_events_pkey,engage_events_type")
    }

    @Test func anEventTheDatabaseRefusesFailsAloneAndTheRestAreStored() async throws {
        let url = try await TestPostgres.shared.freshDatabase(prefix: "sink")
        // PostgreSQL text cannot hold U+0000: this body is valid JSON, but no text or jsonb column takes it.
        let refused = Self.vouchers(1, note: "\\u0000")[0]
        let sink = try Self.makeSink(url)
        let outcomes = try await sink.deliver(Self.vouchers(3).suffix(2) + [refused])
        try await sink.close()
        #expect(outcomes.prefix(2) == [.delivered, .delivered])
        guard case .failed(let reason)? = outcomes.last else {
            Issue.record("the refused event was not failed: \(outcomes)")
            return
        }
        #expect(reason.contains("PostgreSQL refused the event"), "\(reason)")
        #expect(try await TestPostgres.shared.psql(url, "SELECT count(*) FROM engage_events") == "2")
    }

    @Test func aTableThatIsNotAnEventsTableIsRefused() async throws {
        let url = try await TestPostgres.shared.freshDatabase(prefix: "sink")
        _ = try await TestPostgres.shared.psql(url, "CREATE TABLE orders (id int)")
        let sink = try Self.makeSink(url, table: "orders")
        await #expect(throws: SinkError.self) { try await sink.deliver(Self.vouchers(1)) }
        try await sink.close()
    }

    @Test func aServerThatIsDownFailsTheBatchSoTheEngineRetriesIt() async throws {
        let port = try LoopbackPort.free()
        let sink = try Self.makeSink("postgres://relay:pw@127.0.0.1:\(port)/nothing", timeout: .seconds(2))
        do {
            _ = try await sink.deliver(Self.vouchers(1))
            Issue.record("a batch was delivered without a server")
        } catch {
            #expect(!"\(error)".contains("pw@"), "the password is in the error: \(error)")
        }
        try await sink.close()
    }
}
