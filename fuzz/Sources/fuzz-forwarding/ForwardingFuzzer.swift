import FuzzSupport
import RelayConfig
import WebhookVerification

/// A policy that trusts loopback, a private IPv4 range and an IPv6 range as proxies, so that the headers are read.
private let policy = SourcePolicy(
    allow: SourcePolicy.ranges(for: "svix-eu")!,
    trustedProxies: ["127.0.0.0/8", "10.0.0.0/8", "::1", "2001:db8::/32"].map { IPAddressRange($0)! })
private let trustedPeer = IPAddress("10.1.2.3")!

/// Client address resolution behind proxies: `X-Forwarded-For` and `Forwarded` (RFC 7239) parsing, hop walking and
/// the allowlist, plus the address and range parsers that `allow` and `trust-proxy` items go through.
///
/// The input is three lines: the `X-Forwarded-For` value, the `Forwarded` value, and a peer address (a trusted proxy
/// when absent or unreadable).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForwarding(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let parts = FuzzInput(data, size).lines(3)
    let peer = parts[2].flatMap { IPAddress($0) } ?? trustedPeer
    for (forwardedFor, forwarded) in [(parts[0], parts[1]), (nil, parts[1]), (parts[0], nil)] {
        let client = policy.clientAddress(peer: peer, forwardedFor: forwardedFor, forwarded: forwarded)
        if !policy.isTrustedProxy(peer) {
            invariant(client == peer, "an untrusted peer's headers are ignored")
        }
        _ = policy.allows(client)
        invariant(IPAddress(client.description) == client, "an address prints as text that parses back to it")
    }
    for part in parts.compactMap({ $0 }) {
        if let range = IPAddressRange(part) {
            invariant(range.contains(range.network), "a range contains its network address")
            _ = SourcePolicy.ranges(for: range.description)
        }
        if let address = IPAddress(part) {
            invariant(IPAddress(address.description) == address, "an address prints as text that parses back to it")
        }
    }
    return 0
}

@main enum ForwardingFuzzer {
    static func main() { runFuzzer(fuzzForwarding) }
}
