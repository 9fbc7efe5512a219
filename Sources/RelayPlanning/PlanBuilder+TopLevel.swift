import EngageEvents
import Foundation
import RelayConfig
import RelayCore
import WebhookVerification

extension PlanBuilder {
    /// A `listen`-style address; `[::]:8080` lexes as `[`, `::`, `]`, `:8080`, so adjacent tokens are one address.
    mutating func listenAddress(_ directive: Directive) -> ListenAddress? {
        var listenDirective = directive
        if directive.arguments.count > 1,
            zip(directive.arguments, directive.arguments.dropFirst()).allSatisfy({ $0.isAdjacent(to: $1) })
        {
            listenDirective.arguments = [
                Token(
                    kind: .word, text: directive.arguments.map(\.text).joined(),
                    range: directive.arguments[0].range.extended(to: directive.arguments.last!.range))
            ]
        }
        guard let value = singleValue(listenDirective, usage: "\(directive.name.text) HOST:PORT") else { return nil }
        guard let address = ConfigValue.socketAddress(value.text) else {
            error(
                "`\(value.text)` is not a listen address", at: value.range,
                suggestion: "write HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080")
            return nil
        }
        return ListenAddress(host: address.host, port: address.port)
    }

    /// `tls { cert …; key … }`: both files are required.
    mutating func buildTLS(_ directive: Directive) {
        let usage = "tls { cert /etc/engage-relay/cert.pem  key /etc/engage-relay/key.pem }"
        buildBlock(directive, scope: .tls, usage: usage)
        guard let cert = tlsFiles.cert, let key = tlsFiles.key else {
            if directive.block != nil {
                error("`tls` needs both `cert` and `key`", at: directive.name.range, suggestion: "write `\(usage)`")
            }
            return
        }
        plan.tls = TLSPlan(certificatePath: cert, keyPath: key)
    }

    mutating func buildTLSFile(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "\(entry.name.text) FILE") else { return }
        if entry.name.text == "cert" { tlsFiles.cert = value.text } else { tlsFiles.key = value.text }
    }

    // MARK: top-level values

    mutating func buildListen(_ directive: Directive) {
        guard let address = listenAddress(directive) else { return }
        if directive.name.text == "listen" { plan.listen = address } else { plan.metricsListen = address }
    }

    mutating func buildPath(_ directive: Directive) {
        guard let value = singleValue(directive, usage: "path /webhooks/engage") else { return }
        if value.text.hasPrefix("/") && !value.text.contains(where: { $0 == "?" || $0 == "#" || $0 == " " }) {
            plan.path = value.text
        } else {
            error("`\(value.text)` is not a URL path", at: value.range, suggestion: "start it with `/`")
        }
    }

    mutating func buildMaxBody(_ directive: Directive) {
        guard let value = singleValue(directive, usage: "max-body 1MiB") else { return }
        if let size = ConfigValue.byteSize(value.text), size >= 1024, size <= 64 << 20 {
            plan.maxBody = size
        } else {
            error(
                "`\(value.text)` is not a body size between 1KiB and 64MiB", at: value.range,
                suggestion: "write a size such as 512KiB or 1MiB")
        }
    }

    mutating func buildTimeout(_ directive: Directive) {
        let key = directive.name.text
        guard let value = singleValue(directive, usage: "\(key) 10s") else { return }
        guard let duration = ConfigValue.duration(value.text), duration >= .milliseconds(100),
            duration <= .seconds(3600)
        else {
            error("`\(value.text)` is not a timeout between 100ms and 1h", at: value.range)
            return
        }
        if key == "header-timeout" { plan.limits.headerTimeout = duration } else { plan.limits.bodyTimeout = duration }
    }

    mutating func buildDrainTimeout(_ directive: Directive) {
        guard let value = singleValue(directive, usage: "drain-timeout 30s") else { return }
        guard let duration = ConfigValue.duration(value.text), duration >= .seconds(1), duration <= .seconds(3600) else {
            error("`\(value.text)` is not a drain timeout between 1s and 1h", at: value.range)
            return
        }
        plan.drainTimeout = duration
    }

    mutating func buildMaxBuffered(_ directive: Directive) {
        guard let value = singleValue(directive, usage: "max-buffered 64MiB") else { return }
        guard let size = ConfigValue.byteSize(value.text), size >= 1024, size <= 1 << 40 else {
            error("`\(value.text)` is not a size between 1KiB and 1TiB", at: value.range, suggestion: "the default is 64MiB")
            return
        }
        plan.limits.maxBuffered = size
        maxBufferedRange = value.range
    }

    mutating func buildMaxConnections(_ directive: Directive) {
        guard let value = singleValue(directive, usage: "max-connections 1024") else { return }
        guard let count = ConfigValue.integer(value.text), (1...1_000_000).contains(count) else {
            error("`\(value.text)` is not a connection count between 1 and 1000000", at: value.range)
            return
        }
        plan.limits.maxConnections = count
    }

    mutating func buildLogLevel(_ directive: Directive) {
        guard let value = singleValue(directive, usage: "log-level info") else { return }
        guard LogSettings.levels.contains(value.text) else {
            error(
                "`\(value.text)` is not a log level", at: value.range,
                suggestion: closestMatch(to: value.text, among: LogSettings.levels).map { "did you mean `\($0)`?" }
                    ?? "use one of \(LogSettings.levels.joined(separator: ", "))")
            return
        }
        plan.log.level = value.text
    }

    mutating func buildLogFormat(_ directive: Directive) {
        guard let value = singleValue(directive, usage: "log-format json") else { return }
        guard LogSettings.formats.contains(value.text) else {
            error("`\(value.text)` is not a log format", at: value.range, suggestion: "use text or json")
            return
        }
        plan.log.format = value.text
    }

    mutating func buildUnrouted(_ directive: Directive) {
        guard let value = singleValue(directive, usage: "unrouted keep") else { return }
        if let policy = UnroutedPolicy(rawValue: value.text) {
            plan.unrouted = policy
        } else {
            error(
                "`\(value.text)` is not an unrouted policy", at: value.range,
                suggestion: closestMatch(to: value.text, among: UnroutedPolicy.allCases.map(\.rawValue))
                    .map { "did you mean `\($0)`?" } ?? "use keep, drop or reject")
        }
    }
}
