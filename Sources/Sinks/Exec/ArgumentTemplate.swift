import EngageEvents
import RelayCore

/// One word of a command: fixed text and `{type}`, `{tenant}`, `{id}`, `{contactId}` placeholders, filled in per
/// event as a single argv element (never seen by a shell, so an event's text cannot run anything).
struct ArgumentTemplate: Sendable {
    /// A piece of the word.
    enum Segment: Sendable, Equatable {
        /// Fixed text.
        case text(String)
        /// Text taken from the event.
        case placeholder(EventPlaceholder)
    }

    /// The word, in order.
    let segments: [Segment]

    /// Whether the word holds any placeholder.
    var hasPlaceholders: Bool { segments.contains { if case .placeholder = $0 { true } else { false } } }

    /// Parses a word; `{name}` with an unknown identifier is an error (a likely typo), other braces are text.
    init(_ word: String) throws(SinkError) {
        var segments: [Segment] = []
        var literal = ""
        var rest = Substring(word)
        while let first = rest.first {
            if first == "{", let close = rest.firstIndex(of: "}") {
                let name = rest[rest.index(after: rest.startIndex)..<close]
                if let placeholder = EventPlaceholder(rawValue: String(name)) {
                    if !literal.isEmpty { segments.append(.text(literal)) }
                    literal = ""
                    segments.append(.placeholder(placeholder))
                    rest = rest[rest.index(after: close)...]
                    continue
                }
                if Self.isIdentifier(name) {
                    throw SinkError("unknown placeholder `{\(name)}` in `command`; use \(EventPlaceholder.spelledOut)")
                }
            }
            literal.append(first)
            rest = rest.dropFirst()
        }
        if !literal.isEmpty || segments.isEmpty { segments.append(.text(literal)) }
        self.segments = segments
    }

    /// A word taken as it is, without looking for placeholders.
    static func literal(_ word: String) -> ArgumentTemplate { ArgumentTemplate(segments: [.text(word)]) }

    private init(segments: [Segment]) { self.segments = segments }

    /// The argv element for one event.
    func render(for event: EngageEvent) -> String {
        var word = ""
        for segment in segments {
            switch segment {
            case .text(let text): word += text
            case .placeholder(let placeholder): word += placeholder.value(in: event)
            }
        }
        return word
    }

    private static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }
}
