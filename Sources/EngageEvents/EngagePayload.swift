import Foundation

/// The payload of an event, typed where Voyado documents its shape.
///
/// Switch over it in a sink; add a `default:` branch, since later versions may type more event kinds.
public enum EngagePayload: Sendable, Hashable {
    /// `loyalty.addPoints`.
    case loyaltyPointsAdded(LoyaltyPointsAdded)
    /// `point.balance.updated`.
    case pointBalanceUpdated(PointBalanceUpdated)
    /// `reward.voucher.created`.
    case rewardVoucherCreated(RewardVoucherCreated)
    /// Any `contact.*` event.
    case contactChange(ContactChange)
    /// `promotion.multichannel.assigned`.
    case promotionAssigned(PromotionAssignment)
    /// Every other type, including ones added after this version, and payloads that are not objects.
    case generic(JSONValue)

    /// Types the payload of an event of `type`.
    public init(type: EventType, payload: JSONValue) {
        guard case .object = payload else {
            self = .generic(payload)
            return
        }
        switch type {
        case .loyaltyAddPoints: self = .loyaltyPointsAdded(LoyaltyPointsAdded(payload))
        case .pointBalanceUpdated: self = .pointBalanceUpdated(PointBalanceUpdated(payload))
        case .rewardVoucherCreated: self = .rewardVoucherCreated(RewardVoucherCreated(payload))
        case .promotionMultichannelAssigned: self = .promotionAssigned(PromotionAssignment(payload))
        default:
            self = type.rawValue.hasPrefix("contact.") ? .contactChange(ContactChange(payload)) : .generic(payload)
        }
    }

    /// The contact the event is about, when the payload names one.
    public var contactId: String? {
        switch self {
        case .loyaltyPointsAdded(let value): value.contactId
        case .pointBalanceUpdated(let value): value.contactId
        case .rewardVoucherCreated(let value): value.contactId
        case .contactChange(let value): value.contactId
        case .promotionAssigned(let value): value.contactId
        case .generic(let raw): raw["contactId"]?.identifierText
        }
    }
}

extension EngageEvent {
    /// The payload, typed by the event's type.
    public var typedPayload: EngagePayload { EngagePayload(type: type, payload: payload) }
}

/// `loyalty.addPoints`: points were added to a contact.
public struct LoyaltyPointsAdded: Sendable, Hashable {
    /// The points added, exact.
    public var amount: Decimal?
    /// The contact.
    public var contactId: String?
    /// The point definition.
    public var pointDefinitionId: Int?
    /// Where the points came from.
    public var source: String?
    /// A description of the transaction.
    public var description: String?
    /// The user who added the points.
    public var userId: String?
    /// The user's name.
    public var userName: String?
    /// Why the points were added.
    public var reason: String?
    /// The id of the source object.
    public var sourceId: String?
    /// The whole payload, unknown keys included.
    public var raw: JSONValue

    /// Reads the documented keys (case-insensitively) from a payload.
    public init(_ raw: JSONValue) {
        self.raw = raw
        amount = raw["amount"]?.exactDecimal
        contactId = raw["contactId"]?.identifierText
        pointDefinitionId = raw["pointDefinitionId"]?.integerValue
        source = raw["source"]?.identifierText
        description = raw["description"]?.identifierText
        userId = raw["userId"]?.identifierText
        userName = raw["userName"]?.identifierText
        reason = raw["reason"]?.identifierText
        sourceId = raw["sourceId"]?.identifierText
    }
}

/// `point.balance.updated`: a contact's point balance changed.
public struct PointBalanceUpdated: Sendable, Hashable {
    /// The new balance, exact.
    public var balance: Decimal?
    /// The contact.
    public var contactId: String?
    /// The point account.
    public var accountId: Int?
    /// The point definition (documented as a string, seen as a number).
    public var definitionId: String?
    /// When the balance expires, with its offset.
    public var balanceExpires: EngageTimestamp?
    /// The whole payload, unknown keys included.
    public var raw: JSONValue

    /// Reads the documented keys (case-insensitively) from a payload.
    public init(_ raw: JSONValue) {
        self.raw = raw
        balance = raw["balance"]?.exactDecimal
        contactId = raw["contactId"]?.identifierText
        accountId = raw["accountId"]?.integerValue
        definitionId = raw["definitionId"]?.identifierText
        balanceExpires = raw["balanceExpires"]?.stringValue.flatMap(EngageTimestamp.init)
    }
}

/// `reward.voucher.created`: a reward voucher was created for a contact (PascalCase keys on the wire).
public struct RewardVoucherCreated: Sendable, Hashable {
    /// The voucher's value, exact.
    public var amount: Decimal?
    /// The contact.
    public var contactId: String?
    /// The currency code.
    public var currency: String?
    /// The voucher's id.
    public var id: String?
    /// The code the customer uses.
    public var uniqueCode: String?
    /// When the voucher becomes valid.
    public var validFrom: EngageTimestamp?
    /// When the voucher expires.
    public var validTo: EngageTimestamp?
    /// The whole payload, unknown keys included.
    public var raw: JSONValue

    /// Reads the documented keys (case-insensitively) from a payload.
    public init(_ raw: JSONValue) {
        self.raw = raw
        amount = raw["Amount"]?.exactDecimal
        contactId = raw["ContactId"]?.identifierText
        currency = raw["Currency"]?.identifierText
        id = raw["Id"]?.identifierText
        uniqueCode = raw["UniqueCode"]?.identifierText
        validFrom = raw["ValidFrom"]?.stringValue.flatMap(EngageTimestamp.init)
        validTo = raw["ValidTo"]?.stringValue.flatMap(EngageTimestamp.init)
    }
}

/// Any `contact.*` event: the contact and whatever else the payload carries (no public schema).
public struct ContactChange: Sendable, Hashable {
    /// The contact.
    public var contactId: String?
    /// The whole payload.
    public var raw: JSONValue

    /// Reads `contactId` (case-insensitively) from a payload.
    public init(_ raw: JSONValue) {
        self.raw = raw
        contactId = raw["contactId"]?.identifierText
    }
}

/// `promotion.multichannel.assigned`: a promotion was assigned to a contact (no public schema).
public struct PromotionAssignment: Sendable, Hashable {
    /// The contact.
    public var contactId: String?
    /// The promotion, when the payload names it.
    public var promotionId: String?
    /// The whole payload.
    public var raw: JSONValue

    /// Reads `contactId` and `promotionId` (case-insensitively) from a payload.
    public init(_ raw: JSONValue) {
        self.raw = raw
        contactId = raw["contactId"]?.identifierText
        promotionId = raw["promotionId"]?.identifierText
    }
}

extension JSONValue {
    /// A number, or a string holding one (ids and amounts arrive as either).
    public var exactDecimal: Decimal? {
        switch self {
        case .number(let number): number
        case .string(let text): Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        default: nil
        }
    }

    /// An integer, from a whole number or a string holding one.
    public var integerValue: Int? {
        switch self {
        case .number(let number):
            let rounded = NSDecimalNumber(decimal: number)
            return number == rounded.decimalValue.rounded() ? rounded.intValue : nil
        case .string(let text): return Int(text)
        default: return nil
        }
    }
}

extension Decimal {
    func rounded() -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, 0, .plain)
        return result
    }
}
