/// The type of an Engage event, such as `contact.created`.
///
/// An open set: Voyado adds event types over time, so any string is a valid `EventType`; the static members name the
/// types known when this version was written.
public struct EventType: RawRepresentable, Hashable, Sendable, Comparable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The exact event type string (case matters).
    public let rawValue: String

    /// Creates an event type from its exact string.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Creates an event type from its exact string.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// Creates an event type from a string literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The exact event type string.
    public var description: String { rawValue }

    /// Orders event types by their strings.
    public static func < (lhs: EventType, rhs: EventType) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A contact was created.
    public static let contactCreated: EventType = "contact.created"
    /// A contact was updated.
    public static let contactUpdated: EventType = "contact.updated"
    /// A contact was deleted.
    public static let contactDeleted: EventType = "contact.deleted"
    /// The e-mail preference of an existing contact changed.
    public static let contactAcceptsEmailChanged: EventType = "contact.acceptsEmail.changed"
    /// The SMS preference of an existing contact changed.
    public static let contactAcceptsSmsChanged: EventType = "contact.acceptsSms.changed"
    /// The postal preference of an existing contact changed.
    public static let contactAcceptsPostalChanged: EventType = "contact.acceptsPostal.changed"
    /// A consent-typed field of a contact changed.
    public static let contactConsentChanged: EventType = "contact.consent.changed"
    /// Points were added to a contact.
    public static let loyaltyAddPoints: EventType = "loyalty.addPoints"
    /// A contact's point balance changed.
    public static let pointBalanceUpdated: EventType = "point.balance.updated"
    /// A reward voucher was created for a contact.
    public static let rewardVoucherCreated: EventType = "reward.voucher.created"
    /// A multichannel promotion was assigned to a contact.
    public static let promotionMultichannelAssigned: EventType = "promotion.multichannel.assigned"

    /// Every Engage event type known to this version, in documentation order.
    public static let known: [EventType] = [
        .contactCreated, .contactUpdated, .contactDeleted, .contactAcceptsEmailChanged, .contactAcceptsSmsChanged,
        .contactAcceptsPostalChanged, .contactConsentChanged, .loyaltyAddPoints, .pointBalanceUpdated,
        .rewardVoucherCreated, .promotionMultichannelAssigned,
    ]

    /// Whether this type is one of the ``known`` Engage types.
    public var isKnown: Bool { EventType.known.contains(self) }
}
