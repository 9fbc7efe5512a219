import RelayConfig

/// Which source addresses may deliver, and which proxies in front of the receiver are believed about the client.
public struct SourcePolicy: Sendable {
    /// The named address lists usable in configuration: `svix-eu` (the region Engage uses) and `svix-us`.
    public static let namedLists: [String: [IPAddressRange]] = [
        "svix-eu": SvixSourceAddresses.eu.map(builtInRange),
        "svix-us": SvixSourceAddresses.us.map(builtInRange),
    ]

    /// The day the named lists were taken from Svix's published source addresses (`YYYY-MM-DD`).
    public static let namedListsTakenOn = SvixSourceAddresses.takenOn

    /// The ranges a client address must lie in; empty means any address.
    public let allow: [IPAddressRange]
    /// The proxies whose forwarding headers are believed.
    public let trustedProxies: [IPAddressRange]

    /// Creates a policy allowing clients in `allow` (any client when empty) and believing the forwarding headers of
    /// peers in `trustedProxies` only.
    public init(allow: [IPAddressRange], trustedProxies: [IPAddressRange] = []) {
        self.allow = allow
        self.trustedProxies = trustedProxies
    }

    /// The ranges an allowlist item stands for: a named list's ranges, or the one range an address or CIDR text
    /// denotes; nil when the item is neither.
    public static func ranges(for item: String) -> [IPAddressRange]? {
        if let list = namedLists[item] { return list }
        return IPAddressRange(item).map { [$0] }
    }

    /// The client address: the peer, unless the peer is a trusted proxy, then the rightmost untrusted hop of
    /// X-Forwarded-For, or the `for=` of Forwarded (RFC 7239, incl. quoted "[v6]:port" forms); if every hop is
    /// trusted, the leftmost.
    ///
    /// Headers from an untrusted peer are ignored entirely, so a client cannot choose its own address. When both
    /// headers are present, `X-Forwarded-For` is used, since it is the one common proxies append to; a proxy that
    /// writes only `Forwarded` must therefore drop a client's `X-Forwarded-For`. Hops are read from the right,
    /// skipping trusted proxies; at a hop that cannot be read (`unknown`, an obfuscated name, garbage), the walk
    /// stops and the last trusted address reached is the client, which fails closed against an allowlist. Repeated
    /// header fields must be joined with commas, in order, before the call.
    public func clientAddress(peer: IPAddress, forwardedFor: String?, forwarded: String?) -> IPAddress {
        guard isTrustedProxy(peer) else { return peer }
        var hops: [IPAddress?] = []
        if let forwardedFor {
            hops = ForwardingHeaders.xForwardedFor(forwardedFor)
        }
        if hops.isEmpty, let forwarded {
            hops = ForwardingHeaders.forwarded(forwarded)
        }
        var client = peer
        for hop in hops.reversed() {
            guard let hop else { return client }
            client = hop
            if !isTrustedProxy(hop) { return hop }
        }
        return client
    }

    /// Whether `client` may deliver: true when the allowlist is empty or one of its ranges contains the address.
    public func allows(_ client: IPAddress) -> Bool {
        allow.isEmpty || allow.contains { $0.contains(client) }
    }

    /// Whether `address` is one of the trusted proxies.
    public func isTrustedProxy(_ address: IPAddress) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }

    private static func builtInRange(_ text: String) -> IPAddressRange {
        guard let range = IPAddressRange(text) else {
            preconditionFailure("built-in source address \(text) does not parse")
        }
        return range
    }
}
