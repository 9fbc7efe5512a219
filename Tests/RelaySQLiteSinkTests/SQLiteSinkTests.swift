import EngageEvents
import Foundation
import GRDB
import Logging
import RelayCore
import RelayTesting
import Testing

@testable import RelaySQLiteSink

@Suite struct SQLiteSinkTests {
    static let projections: [[String]] = [
        ["amount", "payload.amount", "numeric"],
        ["balance", "payload.balance", "numeric"],
        ["first_sku", "payload.items[0].sku"],
        ["first_qty", "payload.ITEMS[0].Qty", "integer"],
        ["ratio", "payload.ratio", "real"],
        ["big", "payload.big", "numeric"],
        ["note", "payload.note"],
        ["nowhere", "payload.missing.deeper", "integer"],
    ]

    func makeSink(path: String, table: String? = nil, columns: [[String]] = projections) throws -> SQLiteSink {
        var options: [String: [SinkOptionValue]] = ["path": [.text(path)], "column": columns.map { .words($0) }]
        if let table { options["table"] = [.text(table)] }
        return try SQLiteSink(
            configuration: SinkConfiguration(name: "audit", options: SinkOptions(options)),
            context: SinkContext(logger: Logger(label: "test")))
    }

    var databasePath: String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-sink-\(UUID())/nested/audit.db").path
    }

    /// Events with PascalCase keys (as `reward.voucher.created` arrives), an exact decimal, an array and a big number.
    static func vouchers(_ count: Int) -> [EngageEvent] {
        (0..<count).map { index in
            let body = """
                {"eventType":"reward.voucher.created","id":"voucher-\(index)","tenant":"se","payload":{"ContactId":\
                "pc-\(index)","Amount":2500.75,"Currency":"SEK","Items":[{"Sku":"A\(index)","Qty":\(index + 2)}],\
                "Ratio":0.5,"Big":"12345678901234567.891","Note":"räksmörgås"}}
                """
            return try! EngageEvent(
                decoding: Array(body.utf8), messageId: "msg_voucher_\(index)",
                receivedAt: Date(timeIntervalSince1970: 1_714_566_896.75))
        }
    }

    @Test func aBatchDeliveredTwiceLeavesOneRowPerEventWithTypedProjections() async throws {
        let path = databasePath
        let events = SinkConformance.sampleEvents(count: 4) + SQLiteSinkTests.vouchers(2)
        let sink = try makeSink(path: path)
        #expect(try await sink.deliver(events) == Array(repeating: .delivered, count: 6))
        #expect(try await sink.deliver(events) == Array(repeating: .delivered, count: 6))
        try await sink.close()

        let counts = try SQLiteShell.rows(
            path, "SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM engage_events")
        #expect(counts.first?["n"] as? Int == 6)
        #expect(counts.first?["ids"] as? Int == 6)

        let rows = try SQLiteShell.rows(
            path,
            """
            SELECT event_id, message_id, type, tenant, contact_id, received_at, payload, body, amount, typeof(amount) AS \
            amount_type, balance, first_sku, first_qty, typeof(first_qty) AS qty_type, ratio, typeof(ratio) AS \
            ratio_type, big, note, nowhere, typeof(nowhere) AS nowhere_type FROM engage_events ORDER BY message_id
            """)
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0["event_id"] as? String ?? "", $0) })
        let voucher = try #require(byID["voucher-1"])
        #expect(voucher["message_id"] as? String == "msg_voucher_1")
        #expect(voucher["type"] as? String == "reward.voucher.created")
        #expect(voucher["tenant"] as? String == "se")
        #expect(voucher["contact_id"] as? String == "pc-1")
        #expect(voucher["received_at"] as? String == "2024-05-01T12:34:56.750Z")
        #expect(voucher["amount"] as? String == "2500.75")
        #expect(voucher["amount_type"] as? String == "text")
        #expect(voucher["first_sku"] as? String == "A1")
        #expect(voucher["first_qty"] as? Int == 3)
        #expect(voucher["qty_type"] as? String == "integer")
        #expect(voucher["ratio"] as? Double == 0.5)
        #expect(voucher["ratio_type"] as? String == "real")
        #expect(voucher["big"] as? String == "12345678901234567.891")
        #expect(voucher["note"] as? String == "räksmörgås")
        #expect(voucher["nowhere"] is NSNull)
        #expect(voucher["nowhere_type"] as? String == "null")
        #expect(voucher["body"] as? String == String(decoding: SQLiteSinkTests.vouchers(2)[1].body, as: UTF8.self))
        let payload = try #require(
            try JSONSerialization.jsonObject(with: Data((voucher["payload"] as? String ?? "").utf8)) as? [String: Any])
        #expect(payload["ContactId"] as? String == "pc-1")

        for (index, event) in events.prefix(4).enumerated() {
            let row = try #require(byID[event.id])
            #expect(row["message_id"] as? String == event.messageId)
            #expect(row["contact_id"] as? String == "c-\(index)")
            #expect(row["tenant"] as? String == "t\(index % 2)")
            #expect(row["balance"] as? String == "\(1000 + index).25")
            #expect(row["amount"] is NSNull)
            #expect(row["note"] as? String == #"a "quoted" $(touch /tmp/x) `x`"#)
        }
    }

    @Test func theDatabaseIsInWALModeAndASecondProcessReadsWhileTheSinkWrites() async throws {
        let path = databasePath
        let sink = try makeSink(path: path)
        let events = SinkConformance.sampleEvents(count: 4)
        _ = try await sink.deliver(Array(events.prefix(2)))
        #expect(
            try SQLiteShell.run(path, [], "PRAGMA journal_mode").trimmingCharacters(in: .whitespacesAndNewlines)
                == "wal")

        let reader = try SQLiteShell(database: path)
        defer { reader.quit() }
        #expect(try reader.execute("BEGIN; SELECT count(*) FROM engage_events;") == ["2"])
        // The reader holds a snapshot; without WAL the writer's commit would wait for it and fail after the busy
        // timeout (a retry outcome, not delivered).
        #expect(try await sink.deliver(Array(events.dropFirst(2))) == [.delivered, .delivered])
        #expect(try reader.execute("SELECT count(*) FROM engage_events;") == ["2"])
        #expect(try reader.execute("COMMIT; SELECT count(*) FROM engage_events;") == ["4"])
        try await sink.close()
    }

    @Test func anEventWhoseBodyIsNotUTF8FailsAloneAndTheOthersAreStored() async throws {
        let path = databasePath
        let sink = try makeSink(path: path, table: "audit_log")
        let good = SinkConformance.sampleEvents(count: 2)
        var bad = good[0]
        bad.id = "not-utf8"
        bad.body = [0x7B, 0xFF, 0xFE, 0x7D]
        let outcomes = try await sink.deliver([good[0], bad, good[1]])
        #expect(outcomes[0] == .delivered && outcomes[2] == .delivered)
        guard case .failed(let reason) = outcomes[1] else {
            Issue.record("expected the non-UTF-8 event to fail, got \(outcomes[1])")
            return
        }
        #expect(reason.contains("UTF-8"))
        try await sink.close()
        let ids = try SQLiteShell.rows(path, "SELECT event_id FROM audit_log").compactMap { $0["event_id"] as? String }
        #expect(Set(ids) == Set(good.map(\.id)))
    }

    @Test func aColumnAddedToTheConfigIsAddedToAnExistingTable() async throws {
        let path = databasePath
        let first = try makeSink(path: path, columns: [])
        _ = try await first.deliver(SQLiteSinkTests.vouchers(1))
        try await first.close()
        let second = try makeSink(
            path: path, columns: [["currency", "payload.currency"], ["qty", "payload.items[0].qty", "integer"]])
        _ = try await second.deliver(SQLiteSinkTests.vouchers(2))
        try await second.close()
        let rows = try SQLiteShell.rows(path, "SELECT event_id, currency, qty FROM engage_events ORDER BY event_id")
        #expect(rows.count == 2)
        #expect(rows.map { $0["currency"] as? String } == ["SEK", "SEK"])
        #expect(rows.map { $0["qty"] as? Int } == [2, 3])
    }

    @Test(arguments: [
        (["table": "engage-events"], "not an SQL identifier"),
        (["column": "amount"], "has 1 words"),
        (["column": "1amount payload.amount"], "not an SQL identifier"),
        (["column": "TYPE payload.type"], "clashes with a built-in column"),
        (["column": "amount amount numeric"], "is not a payload path"),
        (["column": "amount payload.items[x]"], "is not a payload path"),
        (["column": "amount payload.amount money"], "unknown column type `money`"),
    ])
    func badOptionsAreClearErrors(options: [String: String], expected: String) throws {
        var values: [String: [SinkOptionValue]] = ["path": [.text(databasePath)]]
        for (key, value) in options {
            values[key] = [key == "column" ? .words(value.split(separator: " ").map(String.init)) : .text(value)]
        }
        #expect {
            _ = try SQLiteSink(
                configuration: SinkConfiguration(name: "audit", options: SinkOptions(values)),
                context: SinkContext(logger: Logger(label: "test")))
        } throws: { error in
            "\(error)".contains(expected) && "\(error)".contains("sink `audit`")
        }
    }

    @Test func aColumnDeclaredTwiceIsAClearError() throws {
        #expect {
            _ = try makeSink(path: databasePath, columns: [["a", "payload.a"], ["A", "payload.b", "integer"]])
        } throws: { error in
            "\(error)".contains("column `A` is declared twice")
        }
    }

    @Test func anUnrelatedTableOfTheSameNameIsAClearError() throws {
        let path = databasePath
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = try SQLiteShell.run(path, [], "CREATE TABLE engage_events (id INTEGER PRIMARY KEY, name TEXT)")
        #expect {
            _ = try makeSink(path: path)
        } throws: { error in
            "\(error)".contains("without the column(s) event_id") && "\(error)".contains("set `table`")
        }
    }

    @Test func projectionsOfTheWrongKindAreNull() throws {
        let payload = try JSONValue(parsing: Array(#"{"n":12.5,"s":"abc","t":true,"o":{"k":[1,2]},"i":"42"}"#.utf8))
        func value(_ path: String, _ type: String) throws -> DatabaseValue {
            try SQLiteColumn(words: ["c", path, type]).databaseValue(in: payload)
        }
        #expect(try value("payload.n", "integer") == .null)
        #expect(try value("payload.i", "integer") == 42.databaseValue)
        #expect(try value("payload.t", "integer") == 1.databaseValue)
        #expect(try value("payload.n", "real") == 12.5.databaseValue)
        #expect(try value("payload.s", "real") == .null)
        #expect(try value("payload.s", "numeric") == .null)
        #expect(try value("payload.i", "numeric") == "42".databaseValue)
        #expect(try value("payload.o", "text") == #"{"k":[1,2]}"#.databaseValue)
        #expect(try value("payload.t", "text") == "true".databaseValue)
        #expect(try value("payload.n", "numeric") == "12.5".databaseValue)
    }
}

extension SQLiteSinkTests {
    @Test func passesSinkConformance() async throws {
        let path = databasePath
        let problems = await SinkConformance.check(SQLiteSink.self, options: ["path": [.text(path)]]) {
            try SQLiteShell.rows(path, "SELECT message_id FROM engage_events").compactMap {
                $0["message_id"] as? String
            }
        }
        #expect(problems.isEmpty, "\(problems)")
    }
}
