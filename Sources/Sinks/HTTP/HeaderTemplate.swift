import EngageEvents
import RelayConfig
import RelayCore

/// One configured `header NAME VALUE`: secrets resolved once, `{placeholders}` filled in per event.
///
/// The value is either a whole secret reference (`env:NAME`, `file:PATH`) or text that may hold `${env:NAME}` and
/// `${file:PATH}` references and `{type}`, `{tenant}`, `{id}` and `{contactId}` placeholders. Secret text is never
/// scanned for placeholders, and no error message ever quotes a value.
struct HeaderTemplate: Sendable {
    /// The header name as configured.
    let name: String
    /// The value: resolved secrets as fixed text, placeholders filled in per event.
    let value: EventTemplate
    /// The values of the `env:`/`file:` references resolved into it, for the sink's redactor.
    let secrets: [String]

    /// Parses and resolves one header; the error names the header and the variable or file, never a value.
    init(name: String, value: String, environment: [String: String]) throws(SinkError) {
        guard Self.isToken(name) else {
            throw SinkError("`\(name)` is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)")
        }
        self.name = name
        let whole = SecretSource(value)
        var secrets: [String] = []
        if case .literal = whole {
            self.value = try Self.parse(value, header: name, environment: environment, secrets: &secrets)
        } else {
            let resolved = try Self.resolve(whole, header: name, environment: environment)
            secrets.append(resolved)
            self.value = EventTemplate(literal: resolved)
        }
        self.secrets = secrets
    }

    /// The value for one event; control characters that an event's fields might carry are percent-encoded so they
    /// can never break the header apart.
    func render(for event: EngageEvent) -> String {
        value.render(event, escapingValues: Self.headerSafe)
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

    /// The value with its `${…}` references resolved; the text between them is read by ``EventTemplate``.
    private static func parse(
        _ value: String, header: String, environment: [String: String], secrets: inout [String]
    ) throws(SinkError) -> EventTemplate {
        var parts: [EventTemplate.Part] = []
        var rest = Substring(value)
        while !rest.isEmpty {
            let reference = rest.indices.first { rest[$0...].hasPrefix("${") }
            let text = rest[..<(reference ?? rest.endIndex)]
            if text.utf8.contains(where: isControl) {
                throw SinkError("header `\(header)`: the value contains a control character or line break")
            }
            do throws(EventTemplate.UnknownPlaceholder) {
                parts += try EventTemplate(parsing: String(text)).parts
            } catch {
                throw SinkError("header `\(header)`: \(error)")
            }
            guard let reference else { break }
            let inside = rest.index(reference, offsetBy: 2)
            guard let close = rest[inside...].firstIndex(of: "}") else {
                throw SinkError("header `\(header)`: `${` is not closed; write `${env:NAME}` or `${file:PATH}`")
            }
            let source = SecretSource(String(rest[inside..<close]))
            guard case .literal = source else {
                let resolved = try resolve(source, header: header, environment: environment)
                secrets.append(resolved)
                parts.append(.text(resolved))
                rest = rest[rest.index(after: close)...]
                continue
            }
            throw SinkError("header `\(header)`: `${…}` must hold `env:NAME` or `file:PATH`")
        }
        return EventTemplate(parts: parts)
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
