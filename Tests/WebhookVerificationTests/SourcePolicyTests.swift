import Testing
import WebhookVerification

@Suite("Source policy")
struct SourcePolicyTests {
    struct Membership: Sendable, CustomTestStringConvertible {
        let range: String
        let address: String
        let contained: Bool

        init(_ range: String, _ address: String, _ contained: Bool) {
            self.range = range
            self.address = address
            self.contained = contained
        }

        var testDescription: String { "\(address) \(contained ? "in" : "not in") \(range)" }
    }

    static let memberships: [Membership] = [
        // IPv4, with the first and last address and one outside on each side.
        Membership("10.20.0.0/16", "10.20.0.0", true), Membership("10.20.0.0/16", "10.20.255.255", true),
        Membership("10.20.0.0/16", "10.19.255.255", false), Membership("10.20.0.0/16", "10.21.0.0", false),
        Membership("10.20.0.0/16", "10.20.7.9", true),
        Membership("192.0.2.128/25", "192.0.2.128", true), Membership("192.0.2.128/25", "192.0.2.255", true),
        Membership("192.0.2.128/25", "192.0.2.127", false), Membership("192.0.2.128/25", "192.0.3.0", false),
        // /32 and a bare address are one address.
        Membership("52.215.16.239/32", "52.215.16.239", true), Membership("52.215.16.239/32", "52.215.16.238", false),
        Membership("52.215.16.239/32", "52.215.16.240", false), Membership("52.215.16.239", "52.215.16.239", true),
        // /0 is every IPv4 address, and no IPv6 address outside the mapped block.
        Membership("0.0.0.0/0", "0.0.0.0", true), Membership("0.0.0.0/0", "255.255.255.255", true),
        Membership("0.0.0.0/0", "2001:db8::1", false), Membership("0.0.0.0/0", "::1", false),
        Membership("0.0.0.0/0", "::ffff:8.8.8.8", true),
        // IPv6, full and compressed forms.
        Membership("2a05:d028:17:8000::/56", "2a05:d028:17:8000::", true),
        Membership("2a05:d028:17:8000::/56", "2a05:d028:17:80ff:ffff:ffff:ffff:ffff", true),
        Membership("2a05:d028:17:8000::/56", "2a05:d028:0017:8000:0000:0000:0000:0042", true),
        Membership("2a05:d028:17:8000::/56", "2a05:d028:17:7fff:ffff:ffff:ffff:ffff", false),
        Membership("2a05:d028:17:8000::/56", "2a05:d028:17:8100::", false),
        Membership("2a05:d028:0017:8000:0000:0000:0000:0000/56", "2a05:d028:17:80ab::1", true),
        Membership("::1/128", "::1", true), Membership("::1/128", "::", false), Membership("::1/128", "::2", false),
        Membership("::1", "0:0:0:0:0:0:0:1", true),
        Membership("::/0", "2001:db8::1", true), Membership("::/0", "::", true), Membership("::/0", "10.0.0.1", true),
        Membership("2001:db8::/32", "2001:db9::", false), Membership("2001:db8::/32", "2001:db7:ffff::", false),
        // IPv4-mapped IPv6 against IPv4 ranges, and IPv4 against IPv4-mapped ranges.
        Membership("52.215.16.239/32", "::ffff:52.215.16.239", true),
        Membership("10.0.0.0/8", "::ffff:10.255.255.255", true), Membership("10.0.0.0/8", "::ffff:11.0.0.0", false),
        Membership("10.0.0.0/8", "::ffff:a00:1", true),
        Membership("::ffff:10.0.0.0/104", "10.1.2.3", true), Membership("::ffff:10.0.0.0/104", "11.1.2.3", false),
        Membership("::ffff:0:0/96", "1.2.3.4", true), Membership("::ffff:0:0/96", "2001:db8::1", false),
        // IPv4-compatible (::a.b.c.d) is not IPv4-mapped, so it stays IPv6.
        Membership("1.2.3.4/32", "::1.2.3.4", false),
        Membership("10.0.0.0/8", "2001:db8::a00:1", false),
    ]

    @Test("a range contains exactly the addresses in its block", arguments: memberships)
    func rangeMembership(_ membership: Membership) throws {
        let range = try #require(IPAddressRange(membership.range))
        let address = try #require(IPAddress(membership.address))
        #expect(range.contains(address) == membership.contained)
        #expect(SourcePolicy(allow: [range]).allows(address) == membership.contained)
    }

    @Test("an empty allowlist allows any address")
    func emptyAllowlist() throws {
        let policy = SourcePolicy(allow: [])
        for text in ["1.2.3.4", "::1", "2001:db8::1", "0.0.0.0"] {
            #expect(policy.allows(try #require(IPAddress(text))))
        }
    }

    @Test("an address in any of several ranges is allowed")
    func severalRanges() throws {
        let policy = SourcePolicy(allow: ["10.0.0.0/8", "192.0.2.1", "2001:db8::/32"].compactMap(IPAddressRange.init))
        #expect(policy.allow.count == 3)
        for text in ["10.1.1.1", "192.0.2.1", "2001:db8:1::"] { #expect(policy.allows(try #require(IPAddress(text)))) }
        for text in ["11.1.1.1", "192.0.2.2", "2001:db9::"] { #expect(!policy.allows(try #require(IPAddress(text)))) }
    }

    @Test("the named lists hold Svix's EU and US source addresses")
    func namedLists() throws {
        #expect(Set(SourcePolicy.namedLists.keys) == ["svix-eu", "svix-us"])
        let eu = try #require(SourcePolicy.namedLists["svix-eu"]).map(\.description)
        #expect(eu == ["52.215.16.239/32", "54.216.8.72/32", "63.33.109.123/32", "2a05:d028:17:8000::/56"])
        let us = try #require(SourcePolicy.namedLists["svix-us"]).map(\.description)
        #expect(
            us == [
                "44.228.126.217/32", "50.112.21.217/32", "52.24.126.164/32", "54.148.139.208/32",
                "2600:1f24:64:8000::/56",
            ])
        #expect(SourcePolicy.namedListsTakenOn == "2026-11-29")
    }

    @Test(
        "the svix-eu list allows the EU senders and nothing else",
        arguments: [
            ("52.215.16.239", true), ("54.216.8.72", true), ("63.33.109.123", true), ("::ffff:63.33.109.123", true),
            ("2a05:d028:17:8000::1", true), ("2a05:d028:17:80ff::abcd", true), ("2a05:d028:17:8100::1", false),
            ("52.215.16.238", false), ("44.228.126.217", false), ("2600:1f24:64:8000::1", false), ("127.0.0.1", false),
        ])
    func svixEU(address: String, allowed: Bool) throws {
        let policy = SourcePolicy(allow: try #require(SourcePolicy.namedLists["svix-eu"]))
        #expect(policy.allows(try #require(IPAddress(address))) == allowed)
    }

    @Test("an allowlist item is a named list or an address range")
    func allowlistItems() throws {
        #expect(SourcePolicy.ranges(for: "svix-eu")?.count == 4)
        #expect(SourcePolicy.ranges(for: "svix-us")?.count == 5)
        #expect(SourcePolicy.ranges(for: "10.20.0.0/16") == [IPAddressRange("10.20.0.0/16")].compactMap { $0 })
        #expect(SourcePolicy.ranges(for: "svix-ap") == nil)
        #expect(SourcePolicy.ranges(for: "SVIX-EU") == nil)
        #expect(SourcePolicy.ranges(for: "10.20.0.0/33") == nil)
    }
}

@Suite("Client address behind proxies")
struct ClientAddressTests {
    static let proxy = "127.0.0.1"

    static func policy(trusting proxies: [String] = ["127.0.0.1", "10.0.0.0/8", "fd00::/8"]) -> SourcePolicy {
        SourcePolicy(
            allow: SourcePolicy.namedLists["svix-eu"] ?? [], trustedProxies: proxies.compactMap(IPAddressRange.init))
    }

    static func client(
        peer: String, forwardedFor: String? = nil, forwarded: String? = nil, policy: SourcePolicy = policy()
    ) throws -> String {
        policy.clientAddress(peer: try #require(IPAddress(peer)), forwardedFor: forwardedFor, forwarded: forwarded)
            .description
    }

    @Test("a spoofed X-Forwarded-For or Forwarded from an untrusted peer is ignored: the client is the peer")
    func spoofingIgnored() throws {
        let policy = Self.policy()
        let peer = try #require(IPAddress("198.51.100.7"))
        let client = policy.clientAddress(
            peer: peer, forwardedFor: "52.215.16.239", forwarded: "for=52.215.16.239")
        #expect(client == peer)
        #expect(!policy.allows(client))
        #expect(try Self.client(peer: "198.51.100.7", forwardedFor: "127.0.0.1, 52.215.16.239") == "198.51.100.7")
    }

    @Test("without trusted proxies, forwarding headers are never read")
    func noTrustedProxies() throws {
        #expect(
            try Self.client(peer: "127.0.0.1", forwardedFor: "52.215.16.239", policy: Self.policy(trusting: []))
                == "127.0.0.1")
    }

    @Test("a trusted peer without forwarding headers is the client")
    func trustedPeerWithoutHeaders() throws {
        #expect(try Self.client(peer: Self.proxy) == "127.0.0.1")
        #expect(try Self.client(peer: Self.proxy, forwardedFor: "", forwarded: " ") == "127.0.0.1")
        #expect(try Self.client(peer: Self.proxy, forwardedFor: " , ,") == "127.0.0.1")
    }

    @Test(
        "through trusted proxies, the client is the rightmost untrusted X-Forwarded-For hop",
        arguments: [
            ("52.215.16.239", "52.215.16.239"),
            // A client-supplied first entry is left of the real one, so it is never reached.
            ("6.6.6.6, 52.215.16.239", "52.215.16.239"),
            ("52.215.16.239, 198.51.100.7", "198.51.100.7"),
            // Trusted hops on the right are skipped, however many.
            ("52.215.16.239, 10.0.0.5", "52.215.16.239"),
            ("6.6.6.6,52.215.16.239,10.1.1.1,10.2.2.2,127.0.0.1", "52.215.16.239"),
            ("52.215.16.239 ,\t10.0.0.5 ", "52.215.16.239"),
            // Empty elements are skipped.
            ("52.215.16.239,,10.0.0.5,", "52.215.16.239"),
            // Ports and brackets, as some proxies write them.
            ("52.215.16.239:5678", "52.215.16.239"), ("[2a05:d028:17:8000::9]:443", "2a05:d028:17:8000::9"),
            ("[2a05:d028:17:8000::9]", "2a05:d028:17:8000::9"), ("2a05:d028:17:8000::9", "2a05:d028:17:8000::9"),
            ("::ffff:52.215.16.239", "52.215.16.239"), ("fd00::1, 52.215.16.239, fd12::3", "52.215.16.239"),
            // If every hop is trusted, the leftmost.
            ("10.0.0.9, 10.0.0.5", "10.0.0.9"),
            // An unreadable hop stops the walk at the last trusted address reached.
            ("52.215.16.239, unknown", "127.0.0.1"), ("52.215.16.239, garbage, 10.0.0.5", "10.0.0.5"),
            ("52.215.16.239, 1.2.3.4:99999", "127.0.0.1"), ("52.215.16.239, 2001:db8::1:80", "2001:db8::1:80"),
        ])
    func forwardedForChain(header: String, expected: String) throws {
        #expect(try Self.client(peer: Self.proxy, forwardedFor: header) == expected)
    }

    @Test(
        "through trusted proxies, the client is the rightmost untrusted Forwarded for= hop",
        arguments: [
            ("for=52.215.16.239", "52.215.16.239"), ("For=52.215.16.239", "52.215.16.239"),
            ("FOR=\"52.215.16.239\"", "52.215.16.239"),
            ("for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"),
            ("proto=https; for=192.0.2.60 ;by=10.0.0.1", "192.0.2.60"),
            ("for=\"[2a05:d028:17:8000::1]:4711\"", "2a05:d028:17:8000::1"),
            ("for=\"[2a05:d028:17:8000::1]\"", "2a05:d028:17:8000::1"),
            ("for=\"[2a05:d028:17:8000::1]:_port1\"", "2a05:d028:17:8000::1"),
            ("for=\"52.215.16.239:4711\"", "52.215.16.239"),
            ("for=6.6.6.6, for=52.215.16.239;proto=https, for=10.0.0.5", "52.215.16.239"),
            ("for=52.215.16.239, for=\"[fd00::1]:80\", for=10.0.0.5", "52.215.16.239"),
            // A comma or semicolon inside a quoted string does not split.
            ("for=52.215.16.239;ext=\"a,b;c\", for=10.0.0.5", "52.215.16.239"),
            ("for=52.215.16.239;ext=\"say \\\"hi,\\\"\", for=10.0.0.5", "52.215.16.239"),
            // Escapes inside the quoted address are resolved.
            ("for=\"\\[2a05:d028:17:8000::1\\]\"", "2a05:d028:17:8000::1"),
            // If every hop is trusted, the leftmost.
            ("for=10.0.0.9, for=10.0.0.5", "10.0.0.9"),
            // Unreadable hops: unknown, obfuscated, no for=, unquoted IPv6 with port, broken quoting.
            ("for=52.215.16.239, for=unknown", "127.0.0.1"), ("for=52.215.16.239, for=_hidden", "127.0.0.1"),
            ("for=52.215.16.239, by=10.0.0.1", "127.0.0.1"), ("for=52.215.16.239, for=\"[2001:db8::1]", "127.0.0.1"),
            ("for=52.215.16.239, for=\"1.2.3.4\"x", "127.0.0.1"), ("for=52.215.16.239, for=1.2\"3.4", "127.0.0.1"),
            ("for=[2001:db8::1]:80", "2001:db8::1"), ("for=52.215.16.239, for=\"unknown\", for=10.0.0.5", "10.0.0.5"),
            (",, for=52.215.16.239 ,", "52.215.16.239"),
        ])
    func forwardedChain(header: String, expected: String) throws {
        #expect(try Self.client(peer: Self.proxy, forwarded: header) == expected)
    }

    @Test("X-Forwarded-For is preferred when both headers are present; Forwarded is used when it is absent or empty")
    func headerPreference() throws {
        #expect(
            try Self.client(peer: Self.proxy, forwardedFor: "54.216.8.72", forwarded: "for=52.215.16.239")
                == "54.216.8.72")
        #expect(try Self.client(peer: Self.proxy, forwardedFor: nil, forwarded: "for=52.215.16.239") == "52.215.16.239")
        #expect(try Self.client(peer: Self.proxy, forwardedFor: " ", forwarded: "for=52.215.16.239") == "52.215.16.239")
    }

    @Test("an IPv4-mapped peer matches an IPv4 trusted proxy")
    func mappedPeerIsTrusted() throws {
        #expect(try Self.client(peer: "::ffff:127.0.0.1", forwardedFor: "52.215.16.239") == "52.215.16.239")
        #expect(Self.policy().isTrustedProxy(try #require(IPAddress("::ffff:10.9.9.9"))))
        #expect(!Self.policy().isTrustedProxy(try #require(IPAddress("::1"))))
    }
}
