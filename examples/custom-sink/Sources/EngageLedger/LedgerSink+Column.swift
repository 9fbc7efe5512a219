import EngageEvents
import Foundation

extension LedgerSink {
    /// A column a ledger row can have; the raw value is its name in the config and in the header line.
    public enum Column: String, Sendable, CaseIterable {
        /// When the relay received the event (UTC, ISO 8601 with milliseconds).
        case receivedAt = "received-at"
        /// When the row was written (UTC, ISO 8601 with milliseconds), read from the engine's clock.
        case writtenAt = "written-at"
        /// Engage's event id: the same on every redelivery, so the key to deduplicate on.
        case eventId = "event-id"
        /// The Svix message id the event arrived with.
        case messageId = "message-id"
        /// The tenant (also the file name).
        case tenant
        /// The contact whose balance changed.
        case contactId = "contact-id"
        /// The point account.
        case accountId = "account-id"
        /// The point definition.
        case definitionId = "definition-id"
        /// The new balance, exact, as decimal text (`2500.75`).
        case balance
        /// When the balance expires, exactly as Engage sent it (with its UTC offset).
        case balanceExpires = "balance-expires"

        /// The columns of a ledger whose block names none.
        public static let defaults: [Column] = [.receivedAt, .eventId, .contactId, .balance, .balanceExpires]

        /// The field for one event; empty when the payload lacks the value.
        func value(of event: EngageEvent, update: PointBalanceUpdated, writtenAt: Date) -> String {
            switch self {
            case .receivedAt: event.receivedAt.formatted(Self.timestampStyle)
            case .writtenAt: writtenAt.formatted(Self.timestampStyle)
            case .eventId: event.id
            case .messageId: event.messageId
            case .tenant: event.tenant ?? ""
            case .contactId: update.contactId ?? ""
            case .accountId: update.accountId.map(String.init) ?? ""
            case .definitionId: update.definitionId ?? ""
            case .balance: update.balance.map { "\($0)" } ?? ""
            case .balanceExpires: update.balanceExpires?.text ?? ""
            }
        }

        static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    }
}
