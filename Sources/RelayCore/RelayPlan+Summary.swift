import RelayConfig

extension RelayPlan {
    /// A human-readable table of the plan (listener, verification, sinks, routes) with no secret values.
    public var summary: String {
        var lines: [String] = []
        lines.append("listen    \(listen)")
        lines.append("path      \(path)")
        lines.append("max-body  \(Self.sizeText(maxBody))")
        let secrets = verification.secrets.map(\.source.description) + verification.publicKeys.map(\.source.description)
        lines.append(
            "verify    \(verification.secrets.count) secret(s), \(verification.publicKeys.count) public key(s)"
                + " [\(secrets.joined(separator: ", "))], tolerance \(verification.tolerance.configText)")
        lines.append("")
        lines.append("sinks")
        let nameWidth = sinks.map(\.name.count).max() ?? 0
        let kindWidth = sinks.map(\.kind.kind.count).max() ?? 0
        for sink in sinks {
            lines.append(
                "  " + sink.name.padded(to: nameWidth) + "  " + sink.kind.kind.padded(to: kindWidth) + "  "
                    + sink.configuration.options.redactedSummary)
        }
        lines.append("")
        lines.append("routes")
        let patterns = routes.routes.map { $0.patterns.map(\.description).joined(separator: ", ") }
        let patternWidth = patterns.map(\.count).max() ?? 0
        for (index, route) in routes.routes.enumerated() {
            lines.append(
                "  \(index + 1)  " + patterns[index].padded(to: patternWidth) + "  ->  "
                    + route.sinks.joined(separator: ", "))
        }
        if routes.routes.isEmpty { lines.append("  (none)") }
        return lines.joined(separator: "\n")
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
