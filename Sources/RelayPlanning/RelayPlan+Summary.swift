import EngageEvents
import RelayConfig
import RelayCore
import WebhookVerification

extension RelayPlan {
    /// A human-readable table of the plan (listener, verification, sinks, routes) with no secret values.
    public var summary: String {
        var lines: [String] = []
        lines.append("listen    \(listen)")
        if let tls { lines.append("tls       cert \(tls.certificatePath), key \(tls.keyPath)") }
        lines.append("metrics   \(metricsListen) (/metrics, /healthz, /readyz)")
        lines.append("path      \(path)")
        lines.append("max-body  \(Self.sizeText(maxBody))")
        func unread(_ key: String) -> [SecretSource] { unreadSecrets.filter { $0.key == key }.map(\.source) }
        let secretSources = verification.secrets.map(\.source) + unread("secret")
        let keySources = verification.publicKeys.map(\.source) + unread("public-key")
        lines.append(
            "verify    \(secretSources.count) secret(s), \(keySources.count) public key(s)"
                + " [\((secretSources + keySources).map(\.description).joined(separator: ", "))],"
                + " tolerance \(verification.tolerance.configText)")
        lines.append(contentsOf: verificationLayers.map { "          " + $0 })
        let place = spool.kind == "postgres" ? spool.url.map { "\($0)" } ?? spool.urlSource.map { "\($0)" } ?? "" : spool.path
        lines.append("spool     \(place) (retention \(spool.retention.configText), commit \(spool.commit))")
        lines.append("unrouted  \(unrouted.rawValue)")
        if !unreadSecrets.isEmpty {
            lines.append(
                "not read  "
                    + unreadSecrets.map { "\($0.source) (\($0.key))" }.joined(separator: ", ")
                    + " (references checked, values not)")
        }
        lines.append("")
        lines.append("sinks")
        let nameWidth = sinks.map(\.name.count).max() ?? 0
        let kindWidth = sinks.map(\.kind.kind.count).max() ?? 0
        for sink in sinks {
            lines.append(
                "  " + sink.name.padded(to: nameWidth) + "  " + sink.kind.kind.padded(to: kindWidth) + "  "
                    + sink.configuration.options.redactedSummary(excluding: Set(DeliveryPolicy.options.map(\.name)))
                    + "  [\(sink.delivery)]")
        }
        lines.append("")
        lines.append("routes")
        let patterns = routes.routes.map { route in
            route.patterns.map(\.description).joined(separator: ", ") + (route.filter.map { " where \($0)" } ?? "")
        }
        let patternWidth = patterns.map(\.count).max() ?? 0
        for (index, route) in routes.routes.enumerated() {
            lines.append(
                "  \(index + 1)  " + patterns[index].padded(to: patternWidth) + "  ->  "
                    + route.sinks.joined(separator: ", "))
        }
        if routes.routes.isEmpty { lines.append("  (none)") }
        lines.append("")
        lines.append(contentsOf: reachMatrix)
        return lines.joined(separator: "\n")
    }

    /// The verification layers besides signatures, each on when configured; names and sources, never values.
    var verificationLayers: [String] {
        let verification = self.verification
        let off = "off"
        let rate = verification.rateLimit.map { limit in
            "\(Self.rateText(limit.rate))/s burst \(limit.burst)"
                + (limit.perSourceRate.map { ", per source \(Self.rateText($0))/s burst \(limit.perSourceBurst ?? 1)" } ?? "")
        }
        return [
            "allow     " + (verification.allow.isEmpty ? "any source" : verification.allow.map(\.text).joined(separator: " ")),
            "trust     " + (verification.trustedProxies.isEmpty ? "no proxy" : verification.trustedProxies.map(\.description).joined(separator: " ")),
            "header    " + (verification.headerTokens.isEmpty
                ? off : verification.headerTokens.map { "\($0.token.name) [\($0.sources.map(\.description).joined(separator: ", "))]" }
                    .joined(separator: "; ")),
            "decrypt   " + (verification.decryption.map { "on [\($0.source)]" } ?? off),
            "rate      " + (rate ?? off),
        ]
    }

    static func rateText(_ rate: Double) -> String {
        rate == rate.rounded() && rate < 1e15 ? String(Int64(rate)) : String(rate)
    }

    /// Which sinks each known event type reaches; `?` marks a sink reached only through a `where` filter.
    var reachMatrix: [String] {
        func reach(_ matches: (Route) -> Bool) -> String {
            var sinks: [(name: String, conditional: Bool)] = []
            for route in routes.routes where matches(route) {
                for sink in route.sinks {
                    if let index = sinks.firstIndex(where: { $0.name == sink }) {
                        sinks[index].conditional = sinks[index].conditional && route.filter != nil
                    } else {
                        sinks.append((sink, route.filter != nil))
                    }
                }
            }
            return sinks.isEmpty ? "-" : sinks.map { $0.name + ($0.conditional ? "?" : "") }.joined(separator: ", ")
        }
        let rows = EventType.known.map { type in
            (type.rawValue, reach { route in route.patterns.contains { $0.matches(type) } })
        } + [("(other types)", reach { route in route.patterns.contains(.any) })]
        let width = rows.map(\.0.count).max() ?? 0
        return ["reach (? = only when the route's `where` filter holds)"]
            + rows.map { "  " + $0.0.padded(to: width) + "  " + $0.1 }
    }

    static func sizeText(_ bytes: Int64) -> String {
        for (unit, size) in [("GiB", Int64(1) << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes % size == 0 {
            return "\(bytes / size)\(unit)"
        }
        return "\(bytes)B"
    }
}

extension String {
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
