import RelayConfig
import Testing

@Suite("IP addresses and ranges")
struct IPAddressTests {
    @Test(
        "addresses parse and print in canonical form",
        arguments: [
            ("52.215.16.239", "52.215.16.239"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
            ("::", "::"), ("::1", "::1"), ("1::", "1::"),
            ("2a05:d028:17:8000::", "2a05:d028:17:8000::"),
            ("2A05:D028:0017:8000:0000:0000:0000:0001", "2a05:d028:17:8000::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("2001:db8::1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"), ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"), ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
            ("fe80::1:2", "fe80::1:2"),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("::ffff:1.2.3.4", "1.2.3.4"), ("::FFFF:102:304", "1.2.3.4"), ("0:0:0:0:0:ffff:a00:1", "10.0.0.1"),
            ("::1.2.3.4", "::102:304"), ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
            ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
        ])
    func canonicalForm(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test("an IPv4-mapped IPv6 address is the same value as its IPv4 address")
    func mappedEqualsIPv4() throws {
        let mapped = try #require(IPAddress("::ffff:52.215.16.239"))
        let plain = try #require(IPAddress("52.215.16.239"))
        #expect(mapped == plain)
        #expect(mapped.hashValue == plain.hashValue)
        #expect(mapped.isIPv4 && plain.isIPv4)
        #expect(IPAddress("::1")?.isIPv4 == false)
        #expect(IPAddress("::1.2.3.4")?.isIPv4 == false)
        #expect(IPAddress("::fffe:1.2.3.4") != IPAddress("1.2.3.4"))
    }

    @Test("addresses can be made from 4 or 16 network-order bytes")
    func fromBytes() {
        #expect(IPAddress(bytes: [192, 0, 2, 1]) == IPAddress("192.0.2.1"))
        #expect(
            IPAddress(bytes: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
                == IPAddress("2001:db8::1"))
        #expect(IPAddress(bytes: Array(repeating: 0, count: 10) + [0xff, 0xff, 10, 0, 0, 1]) == IPAddress("10.0.0.1"))
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: Array(repeating: 0, count: 15)) == nil)
    }

    @Test(
        "garbage is rejected by the address parser",
        arguments: [
            "", " ", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-1", "01.2.3.4", "1.2.3.04", "1.2.3.4 ", " 1.2.3.4",
            "1..2.3", "1.2.3.", ".1.2.3", "1.2.3.1000", "0x1.2.3.4", "1.2.3.4/32", "1.2.3.4:80", "localhost",
            "10", "4294967295", ":", ":::", "1:::2", "::1::", "1::2::3", ":1::", "1::2:", "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "12345::", "g::1", "[::1]", "::1%eth0",
            "fe80::1%1", "::ffff:1.2.3", "::ffff:1.2.3.256", "::1.2.3.4:5", "1.2.3.4::", "1:2:3:4:5:6:7:1.2.3.4",
            "::ffff:01.2.3.4", "2001:db8::1/64", "1.2.3.4\n", "١.٢.٣.٤", "1.2.3.４", "::1 ",
            "0000000000000000000000000000000000000000000001",
        ])
    func addressGarbage(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(
        "one strict parser: dotted quads without leading zeros, RFC 4291 text, nothing around them",
        arguments: [
            ("0.0.0.0", true), ("127.0.0.1", true), ("10.0.0.1", true), ("1.0.0.10", true), ("100.200.10.0", true),
            ("255.255.255.255", true), ("::", true), ("::1", true), ("2001:db8::1", true),
            ("2001:0db8:0000:0000:0000:0000:0000:0001", true), ("::ffff:10.0.0.1", true), ("64:ff9b::10.0.0.1", true),
            // Leading zeros are refused in every IPv4 part, also inside IPv6 text: `010` reads as 8 to inet_aton.
            ("010.0.0.1", false), ("10.0.0.01", false), ("10.00.0.1", false), ("00.0.0.0", false),
            ("1.2.3.004", false), ("::ffff:010.0.0.1", false), ("64:ff9b::10.0.0.01", false),
            // inet_aton's other historic forms.
            ("127.1", false), ("10.1.1", false), ("2130706433", false), ("0x7f.0.0.1", false), ("0177.0.0.1", false),
            // Out of range, malformed, decorated.
            ("256.0.0.1", false), ("1.2.3.4.", false), ("2001:db8::00001", false), ("2001:db8::1::", false),
            ("fe80::1%eth0", false), ("[::1]", false), (" 10.0.0.1", false), ("10.0.0.1 ", false),
            ("10.0.0.1:80", false),
        ])
    func strictParsing(text: String, accepted: Bool) {
        #expect((IPAddress(text) != nil) == accepted)
        #expect((IPAddressRange(text) != nil) == accepted)
        #expect((IPAddressRange(text + "/8") != nil) == accepted)
    }

    @Test(
        "ranges parse, clear host bits and print canonically",
        arguments: [
            ("10.0.0.0/8", "10.0.0.0/8"), ("10.1.2.3/8", "10.0.0.0/8"), ("52.215.16.239", "52.215.16.239/32"),
            ("0.0.0.0/0", "0.0.0.0/0"), ("1.2.3.4/0", "0.0.0.0/0"),
            ("2a05:d028:17:8000::/56", "2a05:d028:17:8000::/56"),
            ("2a05:d028:17:80ff:1::/56", "2a05:d028:17:8000::/56"), ("::1", "::1/128"), ("::/0", "::/0"),
            ("::ffff:10.0.0.0/104", "10.0.0.0/8"), ("::ffff:0:0/96", "0.0.0.0/0"), ("::ffff:0:0/95", "::fffe:0:0/95"),
        ])
    func rangeCanonicalForm(text: String, canonical: String) throws {
        let range = try #require(IPAddressRange(text))
        #expect(range.description == canonical)
        #expect(IPAddressRange(canonical) == range)
    }

    @Test(
        "garbage and out-of-bounds prefix lengths are rejected by the range parser",
        arguments: [
            "", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08", "10.0.0.0/8/8", "10.0.0.0/ 8",
            "10.0.0.0 /8", "10.0.0/8", "::/129", "::/1280", "2001:db8::/0x20", "10.0.0.0/8a", "svix-eu", "any",
            "10.0.0.0-10.0.0.255", "*",
        ])
    func rangeGarbage(text: String) {
        #expect(IPAddressRange(text) == nil)
    }

    @Test("a range reports its first address and its prefix length in its own family")
    func rangeParts() throws {
        let v4 = try #require(IPAddressRange("10.9.8.7/16"))
        #expect(v4.network == IPAddress("10.9.0.0"))
        #expect(v4.prefixLength == 16)
        #expect(v4.isIPv4)
        let v6 = try #require(IPAddressRange("2001:db8::/32"))
        #expect(v6.network == IPAddress("2001:db8::"))
        #expect(v6.prefixLength == 32)
        #expect(!v6.isIPv4)
    }
}
