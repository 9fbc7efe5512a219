import Foundation
import GRDB
import RelayCore

extension StoredEvent {
    /// The columns ``init(_:deliveries:)`` reads, for `SELECT … FROM events e`.
    static func columns(withBody: Bool) -> String {
        "e.key, e.message_id, e.event_id, e.type, e.tenant, e.received_at, e.state, e.reason"
            + (withBody ? ", e.body" : "")
    }

    /// An event from a row of ``columns(withBody:)``.
    init(_ row: Row, deliveries: [StoredDelivery]) throws {
        let state: String = row["state"]
        guard let eventState = StoredEventState(rawValue: state) else {
            throw SpoolError(.storageFailed, "the spool holds an event in an unknown state `\(state)`")
        }
        self.init(
            key: row["key"], messageId: row["message_id"], eventId: row["event_id"], type: row["type"],
            tenant: row["tenant"], receivedAt: Date(timeIntervalSince1970: row["received_at"]), state: eventState,
            reason: row["reason"], body: row.hasColumn("body") ? [UInt8](row["body"] as Data) : nil,
            deliveries: deliveries)
    }

    /// Reads the event with `key` and its deliveries.
    static func fetch(key: Int64, withBody: Bool, in db: Database) throws -> StoredEvent? {
        let statement = try db.cachedStatement(
            sql: "SELECT \(columns(withBody: withBody)) FROM events e WHERE e.key = ?")
        guard let row = try Row.fetchOne(statement, arguments: [key]) else { return nil }
        return try StoredEvent(row, deliveries: StoredDelivery.fetchAll(eventKey: key, in: db))
    }
}
