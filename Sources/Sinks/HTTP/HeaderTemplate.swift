import EngageEvents
import RelayConfig
import RelayCore

/// One configured `header NAME VALUE`: secrets resolved once, `{placeholders}` filled in per event.
///
/// The value is either a whole secret reference (`env:NAME`, `file:PATH`) or text that may hold `${env:NAME}` and
/// `${file:PATH}` references and `{type}`, `{tenant}`, `{id}` and `{contactId}` placeholders. Secret text is never
/// scanned for placeholders, and no error message ever quotes a value.
struct HeaderTemplate: Sendable {
    /// A piece of the value.
    enum Segment: Sendable, Equatable {
        /// Fixed text (literal or a resolved secret).
        case text(String)
        /// Text taken from the event.
        case placeholder(EventPlaceholder)
    }

    /// The header name as configured.
    let name: String
    /// The value, in order.
    let segments: [Segment]

    /// Parses and resolves one header; the error names the header and the variable or file, never a value.
    init(name: String, value: String, environment: [String: String]) throws(SinkError) {
        guard Self.isToken(name) else {
            throw SinkError("`\(name)` is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)")
        }
        self.name = name
        let whole = SecretSource(value)
        if case .literal = whole {
            segments = try Self.parse(value, header: name, environment: environment)
        } else {
            segments = [.text(try Self.resolve(whole, header: name, environment: environment))]
        }
    }

    /// The value for one event; control characters that an event's fields might carry are percent-encoded so they
    /// can never break the header apart.
    func render(for event: EngageEvent) -> String {
        var value = ""
        for segment in segments {
            switch segment {
            case .text(let text): value += text
            case .placeholder(let placeholder): value += Self.headerSafe(placeholder.value(in: event))
            }
        }
        return value
    }

    /// `text` with bytes below 0x20 and 0x7F written as `%XX`, so it fits in one header line.
    static func headerSafe(_ text: String) -> String {
        guard text.utf8.contains(where: isControl) else { return text }
        var bytes: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            if isControl(byte) {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    private static func parse(
        _ value: String, header: String, environment: [String: String]
    ) throws(SinkError) -> [Segment] {
        var segments: [Segment] = []
        var literal = ""
        var rest = Substring(value)
        func flush() {
            if !literal.isEmpty { segments.append(.text(literal)) }
            literal = ""
        }
        while let first = rest.first {
            if rest.hasPrefix("${") {
                guard let close = rest.firstIndex(of: "}") else {
                    throw SinkError("header `\(header)`: `${` is not closed; write `${env:NAME}` or `${file:PATH}`")
                }
                let reference = String(rest[rest.index(rest.startIndex, offsetBy: 2)..<close])
                let source = SecretSource(reference)
                guard case .literal = source else {
                    literal += try resolve(source, header: header, environment: environment)
                    rest = rest[rest.index(after: close)...]
                    continue
                }
                throw SinkError("header `\(header)`: `${…}` must hold `env:NAME` or `file:PATH`")
            }
            if first == "{", let close = rest.firstIndex(of: "}") {
                let name = rest[rest.index(after: rest.startIndex)..<close]
                if let placeholder = EventPlaceholder(rawValue: String(name)) {
                    flush()
                    segments.append(.placeholder(placeholder))
                    rest = rest[rest.index(after: close)...]
                    continue
                }
                if isIdentifier(name) {
                    throw SinkError(
                        "header `\(header)`: unknown placeholder `{\(name)}`; use \(EventPlaceholder.spelledOut)")
                }
            }
            if isControl(first.asciiValue ?? 0x20) {
                throw SinkError("header `\(header)`: the value contains a control character or line break")
            }
            literal.append(first)
            rest = rest.dropFirst()
        }
        flush()
        return segments
    }

    private static func resolve(
        _ source: SecretSource, header: String, environment: [String: String]
    ) throws(SinkError) -> String {
        let text: String
        do throws(SecretResolutionError) {
            text = try source.resolve(environment: environment)
        } catch {
            throw SinkError("header `\(header)`: \(error.message)")
        }
        guard !text.utf8.contains(where: isControl) else {
            throw SinkError("header `\(header)`: the value from \(source) contains a control character or line break")
        }
        return text
    }

    private static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    /// Whether `name` is an RFC 9110 token.
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }
}
