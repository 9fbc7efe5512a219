/// A block of addresses in CIDR notation (`10.0.0.0/8`, `2a05:d028:17:8000::/56`) or a single address.
///
/// IPv4 ranges cover the same addresses in IPv4-mapped IPv6 form, because ``IPAddress`` treats the two as one value;
/// an IPv6 range that spans `::ffff:0:0/96` (such as `::/0`) covers IPv4 addresses too.
public struct IPAddressRange: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the range in the IPv6 space (IPv4 as IPv4-mapped), host bits cleared.
    private let networkBits: UInt128
    /// The prefix length in the IPv6 space, 0 to 128 (an IPv4 `/n` is stored as `/96+n`).
    private let prefixBits: Int

    /// Parses `ADDRESS` or `ADDRESS/LENGTH`, with a length of 0 to 32 after an IPv4 address and 0 to 128 after an
    /// IPv6 one; nil for anything else.
    ///
    /// Host bits set after the prefix are accepted and cleared (`10.1.2.3/8` is `10.0.0.0/8`), as routers do. A bare
    /// address is the range of that one address.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)[...]
        let slash = bytes.firstIndex(of: UInt8(ascii: "/"))
        guard let (bits, isIPv4Text) = IPAddress.parse(bytes[..<(slash ?? bytes.endIndex)]) else { return nil }
        let maximum = isIPv4Text ? 32 : 128
        var length = maximum
        if let slash {
            guard let parsed = Self.parsePrefixLength(bytes[(slash + 1)...]), parsed <= maximum else { return nil }
            length = parsed
        }
        self.init(bits: bits, prefixBits: isIPv4Text ? 96 + length : length)
    }

    private init(bits: UInt128, prefixBits: Int) {
        self.networkBits = bits & Self.mask(prefixBits)
        self.prefixBits = prefixBits
    }

    /// Whether `address` lies in this range.
    public func contains(_ address: IPAddress) -> Bool {
        address.bits & Self.mask(prefixBits) == networkBits
    }

    /// The first address of the range.
    public var network: IPAddress {
        IPAddress(bits: networkBits)
    }

    /// The prefix length in the range's own family: 0 to 32 for an IPv4 range, 0 to 128 for an IPv6 range.
    public var prefixLength: Int {
        isIPv4 ? prefixBits - 96 : prefixBits
    }

    /// Whether the range holds only IPv4 addresses (written either way).
    public var isIPv4: Bool {
        prefixBits >= 96 && network.isIPv4
    }

    /// The canonical text: the first address, a slash and the prefix length (`10.0.0.0/8`, `2001:db8::/32`,
    /// `192.0.2.1/32`).
    public var description: String {
        "\(network)/\(prefixLength)"
    }

    /// The mask keeping the first `prefixBits` bits.
    private static func mask(_ prefixBits: Int) -> UInt128 {
        // A smart shift by 128 gives 0, so /0 masks everything away.
        ~UInt128(0) << (128 - prefixBits)
    }

    /// One to three decimal digits without a leading zero (except `0` itself).
    private static func parsePrefixLength(_ text: ArraySlice<UInt8>) -> Int? {
        guard (1...3).contains(text.count), text.count == 1 || text.first != UInt8(ascii: "0") else { return nil }
        var value = 0
        for byte in text {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
