import EngageEvents
import RelayCore

/// A message template such as `{type} for {contactId} in {tenant}`, parsed once: the placeholders `{type}`,
/// `{tenant}`, `{id}` and `{contactId}` are replaced per event (a missing tenant or contact becomes empty text);
/// braces around anything that is not a word stay as written.
struct SyslogTemplate: Sendable, Hashable {
    /// A piece of the template.
    enum Segment: Sendable, Hashable {
        case literal(String)
        case type, tenant, id, contactId
    }

    let segments: [Segment]

    static let placeholders: [String: Segment] = ["type": .type, "tenant": .tenant, "id": .id, "contactId": .contactId]

    /// Parses a template, or throws an error naming an unknown `{word}` placeholder.
    init(parsing text: String) throws(SinkError) {
        var segments: [Segment] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            let afterOpen = rest[rest.index(after: open)...]
            let word = afterOpen.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            guard !word.isEmpty, afterOpen.dropFirst(word.count).first == "}" else {
                literal += "{"
                rest = afterOpen
                continue
            }
            guard let segment = SyslogTemplate.placeholders[String(word)] else {
                throw SinkError(
                    "unknown placeholder `{\(word)}` in `template`; use {type}, {tenant}, {id} or {contactId}")
            }
            if !literal.isEmpty { segments.append(.literal(literal)) }
            literal = ""
            segments.append(segment)
            rest = afterOpen.dropFirst(word.count + 1)
        }
        literal += rest
        if !literal.isEmpty { segments.append(.literal(literal)) }
        self.segments = segments
    }

    /// The text for one event.
    func render(_ event: EngageEvent) -> String {
        var text = ""
        for segment in segments {
            switch segment {
            case .literal(let literal): text += literal
            case .type: text += event.type.rawValue
            case .tenant: text += event.tenant ?? ""
            case .id: text += event.id
            case .contactId: text += event.typedPayload.contactId ?? ""
            }
        }
        return text
    }
}
