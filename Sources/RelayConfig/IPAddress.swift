/// An IPv4 or IPv6 address.
///
/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is the same value as its IPv4 address (`192.0.2.1`): it compares
/// and hashes equal, is contained in the same ranges and is described in dotted-quad form, because a dual-stack
/// socket reports IPv4 peers that way.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in the IPv6 space, IPv4 addresses stored as IPv4-mapped (`::ffff:0:0/96`), so one comparison
    /// serves both families.
    let bits: UInt128

    /// The IPv4-mapped prefix `::ffff:0:0/96`.
    static let mappedPrefix: UInt128 = 0xffff << 32

    init(bits: UInt128) {
        self.bits = bits
    }

    /// Parses an IPv4 dotted quad (`192.0.2.1`) or an IPv6 address in any RFC 4291 text form (`2001:db8::1`,
    /// `::ffff:192.0.2.1`); nil for anything else.
    ///
    /// Rejected: surrounding whitespace, brackets, ports, zone ids (`%eth0`), prefix lengths, IPv4 parts with
    /// leading zeros (`010.0.0.1`, ambiguous with octal), and shortened IPv4 forms (`10.1`).
    public init?(_ text: String) {
        guard let (bits, _) = Self.parse(Array(text.utf8)[...]) else { return nil }
        self.bits = bits
    }

    /// An address from its network-order bytes: 4 for IPv4, 16 for IPv6; nil for any other count.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        var bits: UInt128 = bytes.count == 4 ? Self.mappedPrefix : 0
        for (index, byte) in bytes.reversed().enumerated() {
            bits |= UInt128(byte) << (8 * index)
        }
        self.bits = bits
    }

    /// The address with every bit after the first `length` (of 128, in the IPv6 space) cleared: the network of a
    /// prefix, such as the `/64` an IPv6 host owns.
    public func prefix(_ length: Int) -> IPAddress {
        guard length < 128 else { return self }
        guard length > 0 else { return IPAddress(bits: 0) }
        return IPAddress(bits: bits & ~(UInt128.max >> length))
    }

    /// Whether this is an IPv4 address (including one written in IPv4-mapped IPv6 form).
    public var isIPv4: Bool {
        bits >> 32 == 0xffff
    }

    /// The canonical text: a dotted quad for IPv4, the RFC 5952 form for IPv6 (lowercase, no leading zeros, the
    /// longest run of two or more zero groups shortened to `::`).
    public var description: String {
        if isIPv4 {
            return (0..<4).map { String(UInt8(truncatingIfNeeded: bits >> (24 - 8 * $0))) }.joined(separator: ".")
        }
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: bits >> (112 - 16 * $0)) }
        // The longest run of zero groups, first one on a tie; a single zero group is not shortened.
        var best = (start: 0, length: 0)
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            let start = index
            while index < 8, groups[index] == 0 { index += 1 }
            if index - start > best.length { best = (start, index - start) }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }

    /// Parses an address; `isIPv4Text` tells whether it was written as a dotted quad, which decides how a prefix
    /// length after it is read.
    static func parse(_ text: ArraySlice<UInt8>) -> (bits: UInt128, isIPv4Text: Bool)? {
        // The longest IPv6 text is 45 characters (`ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`).
        guard !text.isEmpty, text.count <= 45 else { return nil }
        if !text.contains(UInt8(ascii: ":")) {
            guard let value = parseIPv4(text) else { return nil }
            return (mappedPrefix | UInt128(value), true)
        }
        guard let value = parseIPv6(text) else { return nil }
        return (value, false)
    }

    /// Four decimal parts of 0 to 255 separated by dots, without leading zeros.
    static func parseIPv4(_ text: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var index = text.startIndex
        for part in 0..<4 {
            if part > 0 {
                guard index < text.endIndex, text[index] == UInt8(ascii: ".") else { return nil }
                index += 1
            }
            let start = index
            var partValue: UInt32 = 0
            while index < text.endIndex, index - start < 3, let digit = decimalValue(text[index]) {
                partValue = partValue * 10 + digit
                index += 1
            }
            let length = index - start
            guard length > 0, partValue <= 255, length == 1 || text[start] != UInt8(ascii: "0") else { return nil }
            value = value << 8 | partValue
        }
        return index == text.endIndex ? value : nil
    }

    /// Up to eight groups of 1 to 4 hex digits separated by colons, at most one `::`, optionally ending in a dotted
    /// quad that counts as two groups.
    static func parseIPv6(_ text: ArraySlice<UInt8>) -> UInt128? {
        let colon = UInt8(ascii: ":")
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var index = text.startIndex
        if text.count >= 2, text[index] == colon, text[index + 1] == colon {
            sawGap = true
            index += 2
            if index == text.endIndex { return 0 }
        }
        while true {
            // A group is required here.
            let start = index
            var group: UInt32 = 0
            while index < text.endIndex, index - start < 5, let digit = hexValue(text[index]) {
                group = group << 4 | digit
                index += 1
            }
            if index < text.endIndex, text[index] == UInt8(ascii: ".") {
                // A trailing dotted quad: it runs to the end of the text and fills two groups.
                guard let ipv4 = parseIPv4(text[start...]) else { return nil }
                let pair = [UInt16(truncatingIfNeeded: ipv4 >> 16), UInt16(truncatingIfNeeded: ipv4)]
                if sawGap { tail += pair } else { head += pair }
                break
            }
            guard (1...4).contains(index - start) else { return nil }
            if sawGap { tail.append(UInt16(group)) } else { head.append(UInt16(group)) }
            if index == text.endIndex { break }
            guard text[index] == colon else { return nil }
            index += 1
            guard index < text.endIndex else { return nil }
            if text[index] == colon {
                guard !sawGap else { return nil }
                sawGap = true
                index += 1
                if index == text.endIndex { break }
            }
        }
        let count = head.count + tail.count
        guard sawGap ? count <= 7 : count == 8 else { return nil }
        var bits: UInt128 = 0
        for (position, group) in head.enumerated() {
            bits |= UInt128(group) << (112 - 16 * position)
        }
        for (position, group) in tail.reversed().enumerated() {
            bits |= UInt128(group) << (16 * position)
        }
        return bits
    }

    private static func decimalValue(_ byte: UInt8) -> UInt32? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? UInt32(byte - UInt8(ascii: "0")) : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
