import EngageEvents
import Foundation
import RelayConfig
import WebhookVerification

/// Walks a parsed config once, filling a ``RelayPlan`` and collecting every problem on the way.
struct PlanBuilder {
    let document: ConfigDocument
    let registry: SinkRegistry
    let environment: [String: String]
    var plan: RelayPlan
    var diagnostics: [Diagnostic] = []

    static let topLevelKeys = [
        "listen", "path", "max-body", "header-timeout", "body-timeout", "max-connections", "verify", "spool", "sink",
        "route", "unrouted", "tls", "metrics-listen", "log-level", "log-format",
    ]
    static let tlsKeys = ["cert", "key"]
    static let verifyKeys = ["secret", "public-key", "tolerance", "allow", "trust-proxy", "header", "decrypt", "rate-limit"]
    static let spoolKeys = ["path", "retention", "commit", "max-queue", "max-size"]
    static let singletons = [
        "listen", "path", "max-body", "header-timeout", "body-timeout", "max-connections", "verify", "spool", "unrouted",
        "tls", "metrics-listen", "log-level", "log-format",
    ]

    init(document: ConfigDocument, registry: SinkRegistry, environment: [String: String]) {
        self.document = document
        self.registry = registry
        self.environment = environment
        self.plan = RelayPlan(source: document.source)
    }

    mutating func build() {
        var seen: [String: SourceRange] = [:]
        var routeDirectives: [Directive] = []
        var verifyBlock: Directive?
        for directive in document.directives {
            let key = directive.name.text
            if Self.singletons.contains(key) {
                if seen[key] != nil {
                    error("`\(key)` is set more than once", at: directive.name.range, suggestion: "keep one `\(key)` line")
                    continue
                }
                seen[key] = directive.name.range
            }
            switch key {
            case "listen", "metrics-listen":
                guard let address = listenAddress(directive) else { continue }
                if key == "listen" { plan.listen = address } else { plan.metricsListen = address }
            case "tls":
                buildTLS(directive)
            case "log-level":
                guard let value = singleValue(directive, usage: "log-level info") else { continue }
                guard LogSettings.levels.contains(value.text) else {
                    error(
                        "`\(value.text)` is not a log level", at: value.range,
                        suggestion: closestMatch(to: value.text, among: LogSettings.levels).map { "did you mean `\($0)`?" }
                            ?? "use one of \(LogSettings.levels.joined(separator: ", "))")
                    continue
                }
                plan.log.level = value.text
            case "log-format":
                guard let value = singleValue(directive, usage: "log-format json") else { continue }
                guard LogSettings.formats.contains(value.text) else {
                    error("`\(value.text)` is not a log format", at: value.range, suggestion: "use text or json")
                    continue
                }
                plan.log.format = value.text
            case "path":
                guard let value = singleValue(directive, usage: "path /webhooks/engage") else { continue }
                if value.text.hasPrefix("/") && !value.text.contains(where: { $0 == "?" || $0 == "#" || $0 == " " }) {
                    plan.path = value.text
                } else {
                    error("`\(value.text)` is not a URL path", at: value.range, suggestion: "start it with `/`")
                }
            case "max-body":
                guard let value = singleValue(directive, usage: "max-body 1MiB") else { continue }
                if let size = ConfigValue.byteSize(value.text), size >= 1024, size <= 64 << 20 {
                    plan.maxBody = size
                } else {
                    error(
                        "`\(value.text)` is not a body size between 1KiB and 64MiB", at: value.range,
                        suggestion: "write a size such as 512KiB or 1MiB")
                }
            case "header-timeout", "body-timeout":
                guard let value = singleValue(directive, usage: "\(key) 10s") else { continue }
                guard let duration = ConfigValue.duration(value.text), duration >= .milliseconds(100),
                    duration <= .seconds(3600)
                else {
                    error("`\(value.text)` is not a timeout between 100ms and 1h", at: value.range)
                    continue
                }
                if key == "header-timeout" { plan.limits.headerTimeout = duration } else { plan.limits.bodyTimeout = duration }
            case "max-connections":
                guard let value = singleValue(directive, usage: "max-connections 1024") else { continue }
                guard let count = ConfigValue.integer(value.text), (1...1_000_000).contains(count) else {
                    error("`\(value.text)` is not a connection count between 1 and 1000000", at: value.range)
                    continue
                }
                plan.limits.maxConnections = count
            case "verify":
                verifyBlock = directive
                buildVerify(directive)
            case "spool":
                buildSpool(directive)
            case "unrouted":
                guard let value = singleValue(directive, usage: "unrouted keep") else { continue }
                if let policy = UnroutedPolicy(rawValue: value.text) {
                    plan.unrouted = policy
                } else {
                    error(
                        "`\(value.text)` is not an unrouted policy", at: value.range,
                        suggestion: closestMatch(to: value.text, among: UnroutedPolicy.allCases.map(\.rawValue))
                            .map { "did you mean `\($0)`?" } ?? "use keep, drop or reject")
                }
            case "sink":
                buildSink(directive)
            case "route":
                routeDirectives.append(directive)
            default:
                unknownKey(directive.name, context: "at the top level", known: Self.topLevelKeys)
            }
        }
        if verifyBlock == nil {
            error(
                "no `verify` block: every delivery must be signature-checked", at: .fileStart,
                suggestion: "add `verify { secret env:ENGAGE_SIGNING_SECRET }`")
        }
        buildRoutes(routeDirectives)
    }

    // MARK: verify

    mutating func buildVerify(_ directive: Directive) {
        noArguments(directive)
        guard let block = requireBlock(directive, usage: "verify { secret env:ENGAGE_SIGNING_SECRET }") else { return }
        var tolerance: SourceRange?
        for entry in block.directives {
            switch entry.name.text {
            case "secret":
                guard let value = singleValue(entry, usage: "secret env:ENGAGE_SIGNING_SECRET") else { continue }
                let source = SecretSource(value.text)
                guard let text = resolve(source, key: "secret", at: value.range) else { continue }
                do {
                    plan.verification.secrets.append((source, try WebhookSecret(text)))
                } catch {
                    self.error(
                        "`secret` \(source) is not a valid signing secret: \(error.message)", at: value.range,
                        suggestion: "copy the `whsec_…` secret from the Engage webhook settings")
                }
            case "public-key":
                guard let value = singleValue(entry, usage: "public-key env:ENGAGE_PUBLIC_KEY") else { continue }
                let source = SecretSource(value.text)
                guard let text = resolve(source, key: "public-key", at: value.range) else { continue }
                do {
                    plan.verification.publicKeys.append((source, try WebhookPublicKey(text)))
                } catch {
                    self.error(
                        "`public-key` \(source) is not a valid public key: \(error.message)", at: value.range,
                        suggestion: "use the `whpk_…` key of the endpoint")
                }
            case "tolerance":
                if let previous = tolerance {
                    error(
                        "`tolerance` is set more than once", at: entry.name.range,
                        suggestion: "keep the one at line \(previous.start.line)")
                    continue
                }
                tolerance = entry.name.range
                guard let value = singleValue(entry, usage: "tolerance 5m") else { continue }
                if let duration = ConfigValue.duration(value.text), duration >= .seconds(1), duration <= .seconds(86_400) {
                    plan.verification.tolerance = duration
                } else {
                    error(
                        "`\(value.text)` is not a tolerance between 1s and 1d", at: value.range,
                        suggestion: "Svix's default is 5m")
                }
            case "allow", "trust-proxy":
                guard !entry.arguments.isEmpty, entry.block == nil else {
                    error("`\(entry.name.text)` needs addresses", at: entry.name.range, suggestion: "e.g. `\(entry.name.text) svix-eu 10.0.0.0/8`")
                    continue
                }
                for token in entry.arguments where token.kind != .comma {
                    guard let ranges = SourcePolicy.ranges(for: token.text) else {
                        let names = SourcePolicy.namedLists.keys.sorted()
                        error(
                            "`\(token.text)` is not an address, a CIDR range or a named list", at: token.range,
                            suggestion: closestMatch(to: token.text, among: names).map { "did you mean `\($0)`?" }
                                ?? "write 10.0.0.0/8, 2001:db8::/32, 192.0.2.7 or one of \(names.joined(separator: ", "))")
                        continue
                    }
                    if entry.name.text == "allow" {
                        plan.verification.allow.append((token.text, ranges))
                    } else {
                        plan.verification.trustedProxies.append(contentsOf: ranges)
                    }
                }
            case "header":
                guard entry.arguments.count >= 2, entry.block == nil else {
                    error(
                        "`header` takes a header name and one or more accepted values", at: entry.range,
                        suggestion: "write `header X-Engage-Token env:ENGAGE_HEADER_TOKEN`")
                    continue
                }
                let name = entry.arguments[0]
                guard name.text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                    error("`\(name.text)` is not a header name", at: name.range)
                    continue
                }
                var values: [String] = []
                var sources: [SecretSource] = []
                for token in entry.arguments.dropFirst() {
                    let source = SecretSource(token.text)
                    guard let value = resolve(source, key: "header \(name.text)", at: token.range) else { continue }
                    guard !value.isEmpty else {
                        error("an empty header token would accept nothing", at: token.range)
                        continue
                    }
                    values.append(value)
                    sources.append(source)
                }
                if !values.isEmpty {
                    plan.verification.headerTokens.append((HeaderToken(name: name.text, acceptedValues: values), sources))
                }
            case "decrypt":
                guard let value = singleValue(entry, usage: "decrypt file:/etc/engage-relay/payload.key") else { continue }
                let source = SecretSource(value.text)
                guard let key = resolve(source, key: "decrypt", at: value.range) else { continue }
                do {
                    plan.verification.decryption = (source, try PayloadDecryptor(key: key))
                } catch {
                    self.error(
                        "`decrypt` \(source) is not a valid payload key: \(error.message)", at: value.range,
                        suggestion: "the key is the 32-character [A-Za-z0-9] text from Engage")
                }
            case "rate-limit":
                if let limit = parseRateLimit(entry) { plan.verification.rateLimit = limit }
            default:
                unknownKey(entry.name, context: "in `verify`", known: Self.verifyKeys)
            }
        }
        if plan.verification.decryption == nil && !diagnostics.contains(where: { $0.severity == .error }) {
            warning(
                "no `decrypt` key: events that arrive encrypted will be stored as undeliverable", at: directive.name.range,
                suggestion: "add `decrypt file:PATH` if payload encryption is on in Engage")
        }
        if plan.verification.secrets.isEmpty && plan.verification.publicKeys.isEmpty
            && !diagnostics.contains(where: { $0.severity == .error && directive.range.contains($0.range) })
        {
            error(
                "`verify` has no `secret` or `public-key`", at: directive.name.range,
                suggestion: "add `secret env:ENGAGE_SIGNING_SECRET`")
        }
    }

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

    // MARK: tls

    mutating func buildTLS(_ directive: Directive) {
        noArguments(directive)
        let usage = "tls { cert /etc/engage-relay/cert.pem  key /etc/engage-relay/key.pem }"
        guard let block = requireBlock(directive, usage: usage) else { return }
        var paths: [String: String] = [:]
        for entry in block.directives {
            let key = entry.name.text
            guard Self.tlsKeys.contains(key) else {
                unknownKey(entry.name, context: "in `tls`", known: Self.tlsKeys)
                continue
            }
            if paths[key] != nil {
                error("`\(key)` is set more than once in `tls`", at: entry.name.range, suggestion: "keep one")
                continue
            }
            guard let value = singleValue(entry, usage: "\(key) FILE") else { continue }
            paths[key] = value.text
        }
        guard let cert = paths["cert"], let key = paths["key"] else {
            error(
                "`tls` needs both `cert` and `key`", at: directive.name.range,
                suggestion: "write `\(usage)`")
            return
        }
        plan.tls = TLSPlan(certificatePath: cert, keyPath: key)
    }

    // MARK: spool

    mutating func buildSpool(_ directive: Directive) {
        noArguments(directive)
        guard let block = requireBlock(directive, usage: "spool { path /var/lib/engage-relay/spool.db }") else { return }
        var seen: [String: SourceRange] = [:]
        for entry in block.directives {
            let key = entry.name.text
            guard Self.spoolKeys.contains(key) else {
                unknownKey(entry.name, context: "in `spool`", known: Self.spoolKeys)
                continue
            }
            if let previous = seen[key] {
                error(
                    "`\(key)` is set more than once in `spool`", at: entry.name.range,
                    suggestion: "keep the one at line \(previous.start.line)")
                continue
            }
            seen[key] = entry.name.range
            switch key {
            case "path":
                guard let value = singleValue(entry, usage: "path /var/lib/engage-relay/spool.db") else { continue }
                plan.spool.path = value.text
            case "retention":
                guard let value = singleValue(entry, usage: "retention 7d") else { continue }
                guard let duration = ConfigValue.duration(value.text), duration >= .seconds(3600) else {
                    error("`\(value.text)` is not a retention of at least 1h", at: value.range, suggestion: "the default is 7d")
                    continue
                }
                plan.spool.retention = duration
                if duration < .seconds(2 * 86_400) {
                    warning(
                        "retention \(duration.configText) is shorter than 2d: Svix retries a message for about 28 hours,"
                            + " so a late retry of a pruned message would be delivered again", at: value.range,
                        suggestion: "keep the default 7d")
                }
            case "commit":
                guard let value = singleValue(entry, usage: "commit grouped") else { continue }
                guard ["grouped", "per-request"].contains(value.text) else {
                    error(
                        "`\(value.text)` is not a commit mode", at: value.range, suggestion: "use grouped or per-request")
                    continue
                }
                plan.spool.commit = value.text
            case "max-size":
                guard let value = singleValue(entry, usage: "max-size 10GiB") else { continue }
                guard let size = ConfigValue.byteSize(value.text), size >= 64 * 1024 else {
                    error("`\(value.text)` is not a spool size of at least 64KiB", at: value.range)
                    continue
                }
                plan.spool.maxSize = size
            default:
                guard let value = singleValue(entry, usage: "max-queue 10000") else { continue }
                guard let count = ConfigValue.integer(value.text), (1...1_000_000).contains(count) else {
                    error("`\(value.text)` is not a queue size between 1 and 1000000", at: value.range)
                    continue
                }
                plan.spool.maxQueue = count
            }
        }
    }

    // MARK: sinks

    mutating func buildSink(_ directive: Directive) {
        let usage = "sink NAME KIND { ... }"
        guard directive.arguments.count == 2, directive.arguments.allSatisfy({ $0.isValue }) else {
            error("`sink` takes a name and a kind", at: directive.range, suggestion: "write `\(usage)`")
            return
        }
        let name = directive.arguments[0]
        let kindToken = directive.arguments[1]
        guard Self.isSinkName(name.text) else {
            error(
                "`\(name.text)` is not a sink name", at: name.range,
                suggestion: "use lowercase letters, digits, `-` and `_`")
            return
        }
        if let previous = plan.sinks.first(where: { $0.name == name.text }) {
            error(
                "sink `\(name.text)` is declared twice", at: name.range,
                suggestion: "the first is at line \(previous.range.start.line); rename one")
            return
        }
        guard let kind = registry[kindToken.text] else {
            let kinds = registry.kinds.map(\.kind)
            error(
                "unknown sink kind `\(kindToken.text)`", at: kindToken.range,
                suggestion: closestMatch(to: kindToken.text, among: kinds).map { "did you mean `\($0)`?" }
                    ?? "known kinds: \(kinds.joined(separator: ", "))")
            return
        }
        guard let block = requireBlock(directive, usage: usage) else { return }
        let errorsBefore = errorCount
        let options = validateOptions(block, of: kind, sinkName: name.text, nameRange: name.range)
        let retry = block.directives.last { $0.name.text == "retry" }.flatMap { parseRetry($0) } ?? .default
        guard errorCount == errorsBefore else { return }
        let delivery = DeliveryPolicy(
            batchSize: options.integer("batch") ?? kind.defaultBatchSize,
            // `concurrency` is the exec sink's own spelling of the same knob.
            maxInFlight: options.integer("max-in-flight") ?? options.integer("concurrency") ?? kind.defaultMaxInFlight,
            retry: RetryPolicy(
                maxAttempts: retry.maxAttempts, minBackoff: retry.minBackoff, maxBackoff: retry.maxBackoff,
                maxAge: options.duration("max-age") ?? RetryPolicy.default.maxAge))
        plan.sinks.append(
            SinkPlan(
                name: name.text, kind: kind, configuration: SinkConfiguration(name: name.text, options: options),
                delivery: delivery, range: directive.range))
    }

    mutating func validateOptions(
        _ block: Block, of kind: SinkRegistry.Entry, sinkName: String, nameRange: SourceRange
    ) -> SinkOptions {
        var values: [String: [SinkOptionValue]] = [:]
        var firstSeen: [String: SourceRange] = [:]
        for entry in block.directives {
            let key = entry.name.text
            let allOptions = kind.options + DeliveryPolicy.options
            guard let option = allOptions.first(where: { $0.name == key }) else {
                unknownKey(entry.name, context: "in sink `\(sinkName)` (\(kind.kind))", known: allOptions.map(\.name))
                continue
            }
            if entry.block != nil {
                error("`\(key)` takes no block", at: entry.name.range, suggestion: "write `\(key) VALUE`")
                continue
            }
            if let previous = firstSeen[key], !option.isRepeatable {
                error(
                    "`\(key)` is set more than once in sink `\(sinkName)`", at: entry.name.range,
                    suggestion: "keep the one at line \(previous.start.line)")
                continue
            }
            firstSeen[key] = entry.name.range
            if let value = optionValue(entry, option: option) {
                values[key, default: []].append(value)
            }
        }
        for option in kind.options + DeliveryPolicy.options where values[option.name] == nil {
            if option.isRequired {
                error(
                    "sink `\(sinkName)` (\(kind.kind)) needs `\(option.name)`", at: nameRange,
                    suggestion: "add `\(option.name) \(option.type.placeholder)` inside its block")
            } else if let text = option.defaultValue,
                let value = Self.parse(text, as: option.type, environment: environment)
            {
                values[option.name] = [value]
            }
        }
        return SinkOptions(values)
    }

    mutating func optionValue(_ entry: Directive, option: SinkOption) -> SinkOptionValue? {
        let arguments = entry.arguments
        if let stray = arguments.first(where: { !$0.isValue }) {
            error("unexpected `\(stray.text)`", at: stray.range, suggestion: "quote values that contain `,[]()`")
            return nil
        }
        switch option.type {
        case .words:
            guard !arguments.isEmpty else {
                error("`\(option.name)` needs at least one value", at: entry.name.range)
                return nil
            }
            return .words(arguments.map(\.text))
        case .pair:
            guard arguments.count == 2 else {
                error(
                    "`\(option.name)` takes a name and a value", at: entry.range,
                    suggestion: "write `\(option.name) NAME VALUE`")
                return nil
            }
            return .pair(name: arguments[0].text, value: arguments[1].text)
        default:
            guard arguments.count == 1 else {
                error(
                    "`\(option.name)` takes one value (\(option.type))", at: arguments.isEmpty ? entry.name.range : entry.range,
                    suggestion: arguments.count > 1 ? "quote a value that contains spaces" : nil)
                return nil
            }
            let token = arguments[0]
            if case .secret = option.type {
                let source = SecretSource(token.text)
                return resolve(source, key: option.name, at: token.range).map { .secret(source: source, value: $0) }
            }
            if let value = Self.parse(token.text, as: option.type, environment: environment) {
                return value
            }
            var suggestion: String?
            if case .choice(let words) = option.type {
                suggestion = closestMatch(to: token.text, among: words).map { "did you mean `\($0)`?" }
                    ?? "use one of: \(words.joined(separator: ", "))"
            } else {
                suggestion = Self.example(for: option.type).map { "write a \(option.type) such as \($0)" }
            }
            error("`\(token.text)` is not a valid \(option.type) for `\(option.name)`", at: token.range, suggestion: suggestion)
            return nil
        }
    }

    /// `rate-limit N/s burst M [per-source N/s burst M]`.
    mutating func parseRateLimit(_ entry: Directive) -> RateLimitPlan? {
        let words = entry.arguments.map(\.text)
        func rate(_ text: String) -> Double? {
            guard text.hasSuffix("/s"), let value = Double(text.dropLast(2)), value > 0, value <= 1_000_000 else { return nil }
            return value
        }
        func burst(_ text: String) -> Int? {
            guard let value = Int(text), (1...1_000_000).contains(value) else { return nil }
            return value
        }
        let usage = "write `rate-limit 50/s burst 100` or `rate-limit 50/s burst 100 per-source 10/s burst 20`"
        guard words.count == 3 || words.count == 7, let global = rate(words[0]), words[1] == "burst",
            let globalBurst = burst(words[2])
        else {
            error("malformed `rate-limit`", at: entry.range, suggestion: usage)
            return nil
        }
        var plan = RateLimitPlan(rate: global, burst: globalBurst)
        if words.count == 7 {
            guard words[3] == "per-source", let each = rate(words[4]), words[5] == "burst", let eachBurst = burst(words[6])
            else {
                error("malformed `rate-limit`", at: entry.range, suggestion: usage)
                return nil
            }
            plan.perSourceRate = each
            plan.perSourceBurst = eachBurst
        }
        return plan
    }

    /// `retry attempts=N backoff=MIN..MAX` (either part may be left out).
    mutating func parseRetry(_ entry: Directive) -> RetryPolicy? {
        var policy = RetryPolicy.default
        var valid = true
        for token in entry.arguments {
            let parts = token.text.split(separator: "=", maxSplits: 1).map(String.init)
            switch (parts.first, parts.count) {
            case ("attempts", 2):
                guard let count = ConfigValue.integer(parts[1]), (1...1000).contains(count) else {
                    error("`\(parts[1])` is not a number of attempts (1...1000)", at: token.range)
                    valid = false
                    continue
                }
                policy.maxAttempts = count
            case ("backoff", 2):
                let bounds = parts[1].components(separatedBy: "..")
                guard bounds.count == 2, let low = ConfigValue.duration(bounds[0]), let high = ConfigValue.duration(bounds[1]),
                    low > .zero, low <= high
                else {
                    error(
                        "`\(parts[1])` is not a backoff range", at: token.range,
                        suggestion: "write backoff=MIN..MAX, e.g. backoff=1s..10m")
                    valid = false
                    continue
                }
                policy.minBackoff = low
                policy.maxBackoff = high
            default:
                error(
                    "unknown retry setting `\(token.text)`", at: token.range,
                    suggestion: "write `retry attempts=N backoff=MIN..MAX`")
                valid = false
            }
        }
        return valid ? policy : nil
    }

    static func parse(_ text: String, as type: SinkOptionType, environment: [String: String]) -> SinkOptionValue? {
        switch type {
        case .string: return .text(text)
        case .path: return text.isEmpty ? nil : .text(text)
        case .url: return text.contains("://") && !text.contains(" ") ? .text(text) : nil
        case .duration: return ConfigValue.duration(text).map { .duration($0) }
        case .size: return ConfigValue.byteSize(text).map { .size($0) }
        case .integer(let range):
            guard let value = ConfigValue.integer(text), range.contains(value) else { return nil }
            return .integer(value)
        case .boolean: return ConfigValue.boolean(text).map { .boolean($0) }
        case .choice(let words): return words.contains(text) ? .text(text) : nil
        case .secret:
            let source = SecretSource(text)
            return (try? source.resolve(environment: environment)).map { .secret(source: source, value: $0) }
        case .words: return .words([text])
        case .pair: return nil
        }
    }

    static func example(for type: SinkOptionType) -> String? {
        switch type {
        case .duration: "250ms, 10s or 5m"
        case .size: "512KiB or 100MiB"
        case .integer(let range): "\(range.lowerBound)"
        case .boolean: "true or false"
        case .url: "https://host/path"
        default: nil
        }
    }

    static func isSinkName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }

    // MARK: routes

    mutating func buildRoutes(_ directives: [Directive]) {
        let sinkNames = plan.sinks.map(\.name)
        let declared = Set(document.directives.filter { $0.name.text == "sink" }.compactMap { $0.arguments.first?.text })
        var routes: [Route] = []
        var used = Set<String>()
        for directive in directives {
            if directive.block != nil {
                error("`route` takes no block", at: directive.name.range, suggestion: "write `route PATTERN -> SINK`")
                continue
            }
            guard let arrow = directive.arguments.firstIndex(where: { $0.kind == .word && $0.text == "->" }) else {
                error(
                    "`route` needs `->` between event patterns and sinks", at: directive.range,
                    suggestion: "write `route contact.* -> SINK` with spaces around `->`")
                continue
            }
            var left = Array(directive.arguments[..<arrow])
            let right = Array(directive.arguments[(arrow + 1)...])
            let errorsBefore = errorCount
            var filter: RouteFilter?
            if let whereIndex = left.firstIndex(where: { $0.kind == .word && $0.text == "where" }) {
                filter = buildFilter(Array(left[(whereIndex + 1)...]), after: left[whereIndex], before: directive.arguments[arrow])
                left = Array(left[..<whereIndex])
            }
            var patterns: [EventPattern] = []
            for token in commaSeparated(left, what: "event pattern", after: directive.name) {
                guard let pattern = EventPattern(token.text), token.kind == .word else {
                    error(
                        "`\(token.text)` is not an event pattern", at: token.range,
                        suggestion: "use an exact type (contact.created), a prefix glob (contact.*) or *")
                    continue
                }
                checkKnown(pattern, at: token.range)
                patterns.append(pattern)
            }
            var sinks: [String] = []
            for token in commaSeparated(right, what: "sink name", after: directive.arguments[arrow]) {
                if declared.contains(token.text) {
                    if !sinks.contains(token.text) { sinks.append(token.text) }
                } else {
                    error(
                        "route refers to undefined sink `\(token.text)`", at: token.range,
                        suggestion: closestMatch(to: token.text, among: declared.sorted()).map { "did you mean `\($0)`?" }
                            ?? "declare it with `sink \(token.text) KIND { ... }`")
                }
            }
            guard errorCount == errorsBefore else { continue }
            used.formUnion(sinks)
            routes.append(Route(patterns: patterns, filter: filter, sinks: sinks, range: directive.range))
        }
        plan.routes = RouteTable(routes)
        for sink in plan.sinks where !used.contains(sink.name) && !routes.isEmpty {
            warning("sink `\(sink.name)` is not used by any route", at: sink.range, suggestion: "add `route * -> \(sink.name)`")
        }
        if directives.isEmpty && !sinkNames.isEmpty {
            let anchor = plan.sinks.first?.range ?? SourceRange.fileStart
            warning("no `route` lines: no event reaches any sink", at: anchor, suggestion: "add `route * -> \(sinkNames[0])`")
        }
    }

    /// Compiles the text between `where` and `->`, read again from the source so operators may touch operands.
    mutating func buildFilter(_ tokens: [Token], after whereToken: Token, before arrow: Token) -> RouteFilter? {
        let text = document.source.text
        let utf8 = text.utf8
        let startOffset = tokens.first?.range.start.offset ?? whereToken.range.end.offset
        let endOffset = tokens.last?.range.end.offset ?? arrow.range.start.offset
        let start = tokens.first?.range.start ?? whereToken.range.end
        let lower = utf8.index(utf8.startIndex, offsetBy: startOffset)
        let upper = utf8.index(utf8.startIndex, offsetBy: max(startOffset, endOffset))
        let (filter, problems) = FilterParser.parse(text[lower..<upper], at: start)
        diagnostics.append(contentsOf: problems)
        return filter
    }

    /// Splits `a, b, c`; reports empty items and missing commas.
    mutating func commaSeparated(_ tokens: [Token], what: String, after anchor: Token) -> [Token] {
        var items: [Token] = []
        var expectItem = true
        var last = anchor
        for token in tokens {
            if token.kind == .comma {
                if expectItem { error("expected a \(what) before `,`", at: token.range) }
                expectItem = true
            } else {
                if !expectItem { error("expected `,` between \(what)s", at: token.range, suggestion: "write `a, b`") }
                items.append(token)
                expectItem = false
            }
            last = token
        }
        if expectItem {
            error("expected a \(what)", at: SourceRange(start: last.range.end, end: last.range.end))
        }
        return items
    }

    mutating func checkKnown(_ pattern: EventPattern, at range: SourceRange) {
        switch pattern {
        case .any:
            break
        case .exact(let type) where !type.isKnown:
            warning(
                "`\(type)` is not a known Engage event type (it will still be routed)", at: range,
                suggestion: closestMatch(to: type.rawValue, among: EventType.known.map(\.rawValue))
                    .map { "did you mean `\($0)`?" })
        case .prefix where !EventType.known.contains(where: pattern.matches):
            warning("`\(pattern)` matches no known Engage event type (it will still be routed)", at: range)
        default:
            break
        }
    }

    // MARK: helpers

    var errorCount: Int { diagnostics.count { $0.severity == .error } }

    mutating func error(_ message: String, at range: SourceRange, suggestion: String? = nil) {
        diagnostics.append(.error(message, at: range, suggestion: suggestion))
    }

    mutating func warning(_ message: String, at range: SourceRange, suggestion: String? = nil) {
        diagnostics.append(.warning(message, at: range, suggestion: suggestion))
    }

    mutating func unknownKey(_ name: Token, context: String, known: [String]) {
        error(
            "unknown key `\(name.text)` \(context)", at: name.range,
            suggestion: closestMatch(to: name.text, among: known).map { "did you mean `\($0)`?" }
                ?? "known keys: \(known.joined(separator: ", "))")
    }

    mutating func singleValue(_ directive: Directive, usage: String) -> Token? {
        if directive.block != nil {
            error("`\(directive.name.text)` takes no block", at: directive.name.range, suggestion: "write `\(usage)`")
            return nil
        }
        guard directive.arguments.count == 1, directive.arguments[0].isValue else {
            error(
                "`\(directive.name.text)` takes one value", at: directive.arguments.isEmpty ? directive.name.range : directive.range,
                suggestion: "write `\(usage)`")
            return nil
        }
        return directive.arguments[0]
    }

    mutating func noArguments(_ directive: Directive) {
        if let first = directive.arguments.first {
            error("`\(directive.name.text)` takes no value before its block", at: first.range)
        }
    }

    mutating func requireBlock(_ directive: Directive, usage: String) -> Block? {
        guard let block = directive.block else {
            error("`\(directive.name.text)` needs a `{ ... }` block", at: directive.range, suggestion: "write `\(usage)`")
            return nil
        }
        return block
    }

    mutating func resolve(_ source: SecretSource, key: String, at range: SourceRange) -> String? {
        do {
            return try source.resolve(environment: environment)
        } catch {
            let hint: String? =
                switch source {
                case .environment(let name): "set \(name) in the environment, or use file:PATH"
                case .file: "check the path and its permissions"
                case .literal: nil
                }
            self.error("cannot read `\(key)` from \(source): \(error.message)", at: range, suggestion: hint)
            return nil
        }
    }
}

extension Token {
    /// A word or a quoted string (not punctuation).
    var isValue: Bool { kind == .word || kind == .string }
}

extension SourceRange {
    /// An empty range at the very start of a file.
    static let fileStart = SourceRange(at: SourceLocation(line: 1, column: 1, offset: 0))

    /// Whether `other` lies inside this range.
    func contains(_ other: SourceRange) -> Bool { start <= other.start && other.end <= end }
}
