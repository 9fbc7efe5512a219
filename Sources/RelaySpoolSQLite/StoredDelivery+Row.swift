import Foundation
import GRDB
import RelayCore

extension StoredDelivery {
    /// The deliveries of one event, by sink name.
    static func fetchAll(eventKey: Int64, in db: Database) throws -> [StoredDelivery] {
        let statement = try db.cachedStatement(
            sql: """
                SELECT sink, state, attempts, next_attempt_at, last_error FROM deliveries
                WHERE event_key = ? ORDER BY sink
                """
        )
        return try Row.fetchAll(statement, arguments: [eventKey]).map { row in
            StoredDelivery(
                sink: row["sink"], state: try DeliveryState(stored: row["state"]), attempts: row["attempts"],
                nextAttemptAt: Date(timeIntervalSince1970: row["next_attempt_at"]), lastError: row["last_error"])
        }
    }
}

extension DeliveryState {
    /// The state named in a `state` column.
    init(stored: String) throws {
        guard let state = DeliveryState(rawValue: stored) else {
            throw SpoolError(.storageFailed, "the spool holds a delivery in an unknown state `\(stored)`")
        }
        self = state
    }
}
