/// An RFC 5424 message read back from the receiver, parsed field by field.
struct SyslogLine {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    var priority: Int
    var version: Int
    var timestamp: String
    var hostname: String
    var appName: String
    var processID: String
    var messageID: String
    /// Structured-data elements by id, each with its parameters (escapes undone).
    var structuredData: [String: [String: String]]
    var message: String

    /// Parses `<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`.
    init(_ text: Substring) throws {
        var rest = text[...]
        func fail(_ what: String) -> Malformed { Malformed(description: "\(what) in `\(text)`") }
        guard rest.first == "<", let close = rest.firstIndex(of: ">"),
            let priority = Int(rest[rest.index(after: rest.startIndex)..<close])
        else { throw fail("no PRI") }
        self.priority = priority
        rest = rest[rest.index(after: close)...]
        func field() throws -> String {
            guard let space = rest.firstIndex(of: " ") else { throw fail("a missing header field") }
            defer { rest = rest[rest.index(after: space)...] }
            return String(rest[..<space])
        }
        guard let version = Int(try field()) else { throw fail("no VERSION") }
        self.version = version
        timestamp = try field()
        hostname = try field()
        appName = try field()
        processID = try field()
        messageID = try field()
        var elements: [String: [String: String]] = [:]
        if rest.hasPrefix("-") {
            rest = rest.dropFirst()
        } else {
            while rest.first == "[" {
                rest = rest.dropFirst()
                let id = String(rest.prefix { $0 != " " && $0 != "]" })
                rest = rest.dropFirst(id.count)
                var parameters: [String: String] = [:]
                while rest.first == " " {
                    rest = rest.dropFirst()
                    let name = String(rest.prefix { $0 != "=" })
                    rest = rest.dropFirst(name.count)
                    guard rest.hasPrefix("=\"") else { throw fail("a parameter without a quoted value") }
                    rest = rest.dropFirst(2)
                    var value = ""
                    while let character = rest.first, character != "\"" {
                        rest = rest.dropFirst()
                        if character == "\\", let escaped = rest.first, "\"\\]".contains(escaped) {
                            value.append(escaped)
                            rest = rest.dropFirst()
                        } else {
                            value.append(character)
                        }
                    }
                    guard rest.first == "\"" else { throw fail("an unterminated parameter value") }
                    rest = rest.dropFirst()
                    parameters[name] = value
                }
                guard rest.first == "]" else { throw fail("an unterminated structured-data element") }
                rest = rest.dropFirst()
                elements[id] = parameters
            }
        }
        structuredData = elements
        if rest.first == " " { rest = rest.dropFirst() }
        message = String(rest)
    }
}
