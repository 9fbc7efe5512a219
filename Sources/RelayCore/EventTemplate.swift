import EngageEvents

/// Text with `{name}` placeholders (a header value, a command word, a message template), parsed once when a sink is
/// built and rendered for each event.
///
/// A placeholder is `{`, a name, `}`, where the name starts with an ASCII letter and goes on with ASCII letters,
/// digits, `_` or `-`. Such a name must be one of the allowed ``EventPlaceholder``s, so that a typo (`{contactID}`,
/// `{tenant-id}`) is an error rather than text sent as it is. Every other brace is text: `{}`, `{ id }`, `{"a":1}`,
/// `{2}`.
public struct EventTemplate: Sendable, Hashable {
    /// A piece of a template.
    public enum Part: Sendable, Hashable {
        /// Fixed text.
        case text(String)
        /// Text taken from the event.
        case placeholder(EventPlaceholder)
    }

    /// A `{name}` that is not one of the allowed placeholders.
    public struct UnknownPlaceholder: Error, Sendable, Hashable, CustomStringConvertible {
        /// The name between the braces.
        public let name: String
        /// The placeholders the template may hold.
        public let allowed: [EventPlaceholder]

        /// What to write instead: `use {type}, {tenant}, {id} or {contactId}`.
        public var suggestion: String {
            allowed.isEmpty ? "this text takes no placeholders" : "use \(EventPlaceholder.written(allowed))"
        }

        /// `unknown placeholder `{name}`; use …`.
        public var description: String { "unknown placeholder `{\(name)}`; \(suggestion)" }
    }

    /// The pieces in order; adjacent text is one piece, and an empty template has none.
    public let parts: [Part]

    /// Whether the template holds any placeholder.
    public var hasPlaceholders: Bool {
        parts.contains { if case .placeholder = $0 { true } else { false } }
    }

    /// A template of the given pieces, adjacent text joined.
    public init(parts: some Sequence<Part>) {
        var joined: [Part] = []
        for part in parts {
            switch (joined.last, part) {
            case (_, .text("")):
                continue
            case (.text(let head)?, .text(let tail)):
                joined[joined.count - 1] = .text(head + tail)
            default:
                joined.append(part)
            }
        }
        self.parts = joined
    }

    /// A template that is all text, braces included, without looking for placeholders.
    public init(literal text: String) {
        self.init(parts: [.text(text)])
    }

    /// Parses `text`; throws for a `{name}` that is not in `allowed` (by default every placeholder).
    public init(
        parsing text: String, allowing allowed: [EventPlaceholder] = EventPlaceholder.allCases
    ) throws(UnknownPlaceholder) {
        let bytes = Array(text.utf8)
        var parts: [Part] = []
        var textStart = 0
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "{"), let end = Self.nameEnd(in: bytes, from: index + 1),
                end < bytes.count, bytes[end] == UInt8(ascii: "}")
            else {
                index += 1
                continue
            }
            let name = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
            guard let placeholder = EventPlaceholder(rawValue: name), allowed.contains(placeholder) else {
                throw UnknownPlaceholder(name: name, allowed: allowed)
            }
            parts.append(.text(String(decoding: bytes[textStart..<index], as: UTF8.self)))
            parts.append(.placeholder(placeholder))
            index = end + 1
            textStart = index
        }
        parts.append(.text(String(decoding: bytes[textStart...], as: UTF8.self)))
        self.init(parts: parts)
    }

    /// The text for one event.
    public func render(_ event: EngageEvent) -> String {
        render(event, escapingValues: { $0 })
    }

    /// The text for one event, each placeholder's value passed through `escape` first (so an event's fields cannot
    /// break the context the text goes into, such as a header line); fixed text is taken as it is.
    public func render(_ event: EngageEvent, escapingValues escape: (String) -> String) -> String {
        var text = ""
        for part in parts {
            switch part {
            case .text(let fixed): text += fixed
            case .placeholder(let placeholder): text += escape(placeholder.value(in: event))
            }
        }
        return text
    }

    /// Where a placeholder name starting at `start` ends (the index after its last byte), or nil when no name starts
    /// there.
    private static func nameEnd(in bytes: [UInt8], from start: Int) -> Int? {
        guard start < bytes.count, isLetter(bytes[start]) else { return nil }
        var end = start + 1
        while end < bytes.count, isNamePart(bytes[end]) { end += 1 }
        return end
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isNamePart(_ byte: UInt8) -> Bool {
        isLetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-")
    }
}
