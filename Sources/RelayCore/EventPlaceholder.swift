import EngageEvents

/// A `{name}` placeholder in a sink option (a header value, a command word, a template), filled in from each event;
/// ``EventTemplate`` reads and renders them.
public enum EventPlaceholder: String, CaseIterable, Sendable {
    /// The event type, `{type}`.
    case type
    /// The tenant, `{tenant}` (empty when the envelope names none).
    case tenant
    /// The event id, `{id}`.
    case id
    /// The contact the payload names, `{contactId}` (empty when it names none).
    case contactId

    /// The placeholders as written, for error messages: `{type}, {tenant}, {id} or {contactId}`.
    public static let spelledOut = written(allCases)

    /// Some placeholders as written, for error messages: `{type}, {tenant} or {id}`.
    public static func written(_ placeholders: [EventPlaceholder]) -> String {
        let names = placeholders.map { "{\($0.rawValue)}" }
        guard let last = names.last else { return "" }
        return names.dropLast().joined(separator: ", ") + (names.count > 1 ? " or " : "") + last
    }

    /// The text this placeholder stands for in `event`.
    public func value(in event: EngageEvent) -> String {
        switch self {
        case .type: event.type.rawValue
        case .tenant: event.tenant ?? ""
        case .id: event.id
        case .contactId: event.typedPayload.contactId ?? ""
        }
    }
}
