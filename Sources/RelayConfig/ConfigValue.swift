/// Parsers for the value syntaxes of the configuration language; each returns nil for text it does not accept.
public enum ConfigValue {
    /// The longest duration any setting accepts (100 years, 36500d): within it, every duration stays representable
    /// where the runtime uses it (NIO's `TimeAmount` is Int64 nanoseconds, about 292 years; stored times are Int64
    /// milliseconds), added to any date the relay handles.
    public static let maximumDuration = Duration.seconds(36_500 * 86_400)

    /// The largest byte size any setting accepts (1 PiB): within it, sizes can be added and multiplied by the small
    /// factors the runtime uses without overflowing Int64.
    public static let maximumByteSize: Int64 = 1 << 50

    /// A non-negative integer followed by `ms`, `s`, `m`, `h` or `d`, such as `250ms` or `7d`; no sign, no spaces;
    /// at most ``maximumDuration``.
    public static func duration(_ text: String) -> Duration? {
        guard let (number, unit) = splitNumber(text) else {
            return nil
        }
        let secondsPerUnit: Int64
        switch unit {
        case "ms": return number <= Int64(maximumDuration.components.seconds) * 1000 ? .milliseconds(number) : nil
        case "s": secondsPerUnit = 1
        case "m": secondsPerUnit = 60
        case "h": secondsPerUnit = 3_600
        case "d": secondsPerUnit = 86_400
        default: return nil
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: secondsPerUnit)
        return overflow || seconds > maximumDuration.components.seconds ? nil : .seconds(seconds)
    }

    /// A byte count: a plain integer, or one with `B`, `KB` `MB` `GB` `TB` (powers of 1000) or `KiB` `MiB` `GiB` `TiB`;
    /// at most ``maximumByteSize``.
    public static func byteSize(_ text: String) -> Int64? {
        guard let (number, unit) = splitNumber(text) else {
            return nil
        }
        let multiplier: Int64
        switch unit {
        case "", "B": multiplier = 1
        case "KB": multiplier = 1_000
        case "MB": multiplier = 1_000_000
        case "GB": multiplier = 1_000_000_000
        case "TB": multiplier = 1_000_000_000_000
        case "KiB": multiplier = 1 << 10
        case "MiB": multiplier = 1 << 20
        case "GiB": multiplier = 1 << 30
        case "TiB": multiplier = 1 << 40
        default: return nil
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow || bytes > maximumByteSize ? nil : bytes
    }

    /// A decimal integer with an optional leading `-`; no `+`, spaces or separators.
    public static func integer(_ text: String) -> Int? {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy(isDigit) else {
            return nil
        }
        return Int(text)
    }

    /// `true` `yes` `on` or `false` `no` `off`, in any letter case.
    public static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on": true
        case "false", "no", "off": false
        default: nil
        }
    }

    /// `HOST:PORT` with an IPv4 address or host name, `[IPv6]:PORT` (optionally `[IPv6%ZONE]:PORT`), or `:PORT` for
    /// all IPv4 interfaces.
    ///
    /// The host is read by ``host(_:)`` and returned without brackets; the port is 0...65535.
    public static func socketAddress(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":") else {
            return nil
        }
        let hostPart = text[..<colon]
        let portPart = text[text.index(after: colon)...]
        guard !portPart.isEmpty, portPart.count <= 5, portPart.utf8.allSatisfy(isDigit), let port = Int(portPart),
            port <= 65_535
        else {
            return nil
        }
        if hostPart.isEmpty {
            return ("0.0.0.0", port)
        }
        return host(hostPart).map { ($0, port) }
    }

    /// The host of a `HOST:PORT` as written: `[IPv6]` (optionally `[IPv6%ZONE]`), an IPv4 address, or a host name;
    /// returns the host without brackets.
    ///
    /// Addresses are read by ``IPAddress`` (so `010.0.0.1` is refused, not taken as octal); a host of digits and dots
    /// must be an IPv4 address, and brackets must hold an IPv6 address.
    public static func host(_ text: some StringProtocol) -> String? {
        let text = Substring(text)
        if text.hasPrefix("[") {
            guard text.hasSuffix("]"), text.count > 2 else {
                return nil
            }
            let host = text.dropFirst().dropLast()
            return isBracketedHost(host) ? String(host) : nil
        }
        if text.utf8.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") }) {
            return IPAddress(String(text)) != nil ? String(text) : nil
        }
        return isHostName(text) ? String(text) : nil
    }

    /// Splits `123unit` into its non-negative number and unit; nil without leading digits or on overflow.
    private static func splitNumber(_ text: String) -> (Int64, Substring)? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let number = Int64(digits) else {
            return nil
        }
        return (number, text[digits.endIndex...])
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// What may stand in brackets: an IPv6 address written with colons, optionally followed by `%` and a zone (an
    /// interface name or index, which is part of a socket address rather than of the address).
    private static func isBracketedHost(_ text: Substring) -> Bool {
        var address = text
        if let percent = text.firstIndex(of: "%") {
            guard text.index(after: percent) < text.endIndex else {
                return false
            }
            address = text[..<percent]
        }
        guard let (_, isIPv4Text) = IPAddress.parse(Array(address.utf8)[...]) else {
            return false
        }
        return !isIPv4Text
    }

    /// Letters, digits, `-` and `_` in dot-separated labels that neither start nor end with `-`.
    private static func isHostName(_ text: Substring) -> Bool {
        guard text.utf8.count <= 253 else {
            return false
        }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }
}
