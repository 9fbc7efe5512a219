import RelayConfig

/// Reading of the proxy headers `X-Forwarded-For` and `Forwarded` (RFC 7239) into hop addresses, left to right.
///
/// A hop that cannot be read (`unknown`, an obfuscated `_name`, garbage, a `Forwarded` element without `for=`) is
/// nil, so that the caller can stop there instead of guessing.
enum ForwardingHeaders {
    /// The hops of an `X-Forwarded-For` value: addresses separated by commas, each optionally with a port
    /// (`192.0.2.1:8080`, `[2001:db8::1]:8080`); empty elements are skipped.
    static func xForwardedFor(_ value: String) -> [IPAddress?] {
        value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            .map { trimmed(Array($0)[...]) }
            .filter { !$0.isEmpty }
            .map { node($0) }
    }

    /// The `for=` hops of a `Forwarded` value: elements separated by commas, parameters by semicolons, values tokens
    /// or quoted strings (`for="[2001:db8::1]:4711"`); parameter names are case-insensitive; empty elements are
    /// skipped.
    static func forwarded(_ value: String) -> [IPAddress?] {
        let bytes = Array(value.utf8)[...]
        var hops: [IPAddress?] = []
        for element in splitOutsideQuotes(bytes, at: UInt8(ascii: ",")) {
            guard !trimmed(element).isEmpty else { continue }
            var hop: IPAddress?
            for pair in splitOutsideQuotes(element, at: UInt8(ascii: ";")) {
                let pair = trimmed(pair)
                guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
                let name = trimmed(pair[..<equals])
                guard name.count == 3, String(decoding: name, as: UTF8.self).lowercased() == "for" else { continue }
                if let node = unquoted(trimmed(pair[(equals + 1)...])) {
                    hop = self.node(node)
                }
                break
            }
            hops.append(hop)
        }
        return hops
    }

    /// A node: an address, `IPv4:port`, `[IPv6]` or `[IPv6]:port`; nil for anything else.
    static func node(_ text: ArraySlice<UInt8>) -> IPAddress? {
        if text.first == UInt8(ascii: "[") {
            guard let close = text.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            let rest = text[(close + 1)...]
            guard rest.isEmpty || isPort(rest) else { return nil }
            return address(text[(text.startIndex + 1)..<close])
        }
        if let address = address(text) { return address }
        // `IPv4:port`; an IPv6 address with a port must be in brackets, so a colon here is the port's.
        let colons = text.indices.filter { text[$0] == UInt8(ascii: ":") }
        guard colons.count == 1, let colon = colons.first, isPort(text[colon...]) else { return nil }
        let host = text[..<colon]
        return host.contains(UInt8(ascii: ".")) ? address(host) : nil
    }

    private static func address(_ text: ArraySlice<UInt8>) -> IPAddress? {
        IPAddress(String(decoding: text, as: UTF8.self))
    }

    /// `:` followed by a port number (0 to 65535) or an RFC 7239 obfuscated port (`_`, then letters, digits, `.`,
    /// `_`, `-`).
    private static func isPort(_ text: ArraySlice<UInt8>) -> Bool {
        guard text.first == UInt8(ascii: ":") else { return false }
        let port = text.dropFirst()
        if let first = port.first, first == UInt8(ascii: "_") {
            return port.count > 1 && port.allSatisfy(isObfuscatedCharacter)
        }
        guard (1...5).contains(port.count), port.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return false }
        return port.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } <= 65_535
    }

    private static func isObfuscatedCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    /// The content of a quoted string with its backslash escapes resolved, a token as it is, or nil for an
    /// unterminated quoted string or a stray quote.
    private static func unquoted(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let quote = UInt8(ascii: "\"")
        guard text.first == quote else {
            return text.contains(quote) ? nil : text
        }
        var content: [UInt8] = []
        var index = text.startIndex + 1
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: "\\") {
                index += 1
                guard index < text.endIndex else { return nil }
                content.append(text[index])
            } else if byte == quote {
                // The closing quote must end the value.
                return index + 1 == text.endIndex ? content[...] : nil
            } else {
                content.append(byte)
            }
            index += 1
        }
        return nil
    }

    /// Splits at `separator` where it is outside a quoted string.
    private static func splitOutsideQuotes(_ text: ArraySlice<UInt8>, at separator: UInt8) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var start = text.startIndex
        var inQuotes = false
        var escaped = false
        for index in text.indices {
            let byte = text[index]
            if escaped {
                escaped = false
            } else if inQuotes, byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if !inQuotes, byte == separator {
                pieces.append(text[start..<index])
                start = index + 1
            }
        }
        pieces.append(text[start...])
        return pieces
    }

    /// The text without surrounding spaces and tabs (HTTP's optional whitespace).
    private static func trimmed(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) })
        else { return text[text.endIndex...] }
        return text[first...last]
    }
}
