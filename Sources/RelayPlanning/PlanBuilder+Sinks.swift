import EngageEvents
import Foundation
import RelayConfig
import RelayCore
import WebhookVerification

extension PlanBuilder {

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
            batchSize: options[DeliveryPolicy.Key.batch] ?? kind.defaultBatchSize,
            // `concurrency` is the exec sink's own spelling of the same knob.
            maxInFlight: options[DeliveryPolicy.Key.maxInFlight] ?? options[DeliveryPolicy.Key.concurrency]
                ?? kind.defaultMaxInFlight,
            retry: RetryPolicy(
                maxAttempts: retry.maxAttempts, minBackoff: retry.minBackoff, maxBackoff: retry.maxBackoff,
                maxAge: options[DeliveryPolicy.Key.maxAge] ?? RetryPolicy.default.maxAge))
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
        let allOptions = kind.options + DeliveryPolicy.options
        let keys = allOptions.map(\.name)
        for entry in block.directives {
            let key = entry.name.text
            guard let option = allOptions.first(where: { $0.name == key }) else {
                unknownKey(entry.name, context: "in sink `\(sinkName)` (\(kind.kind))", known: keys)
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
            if let value = optionValue(entry, option: option, keys: keys, sinkName: sinkName) {
                values[key, default: []].append(value)
            }
        }
        for option in allOptions where values[option.name] == nil {
            if option.isRequired {
                error(
                    "sink `\(sinkName)` (\(kind.kind)) needs `\(option.name)`", at: nameRange,
                    suggestion: "add `\(option.name) \(option.type.placeholder)` inside its block")
            } else if let text = option.defaultValue, let value = SinkOptionValue(parsing: text, as: option.type) {
                values[option.name] = [value]
            }
        }
        return SinkOptions(values)
    }

    /// The value of one option line, checked against its type and then by the kind's own check.
    mutating func optionValue(
        _ entry: Directive, option: SinkOption, keys: [String], sinkName: String
    ) -> SinkOptionValue? {
        guard let value = typedValue(entry, option: option, keys: keys, sinkName: sinkName) else { return nil }
        // A secret the validation mode left unread (its value empty, which a read secret never is) has nothing for
        // the kind's check to judge.
        if case .secret(_, "") = value { return value }
        if let problem = option.check?(value) {
            let at = entry.arguments.isEmpty ? entry.name.range : entry.arguments[0].range.extended(to: entry.arguments.last!.range)
            error("`\(option.name)` \(value.redactedText): \(problem)", at: at)
            return nil
        }
        return value
    }

    /// The value of one option line, checked against its type; a secret the validation mode leaves unread has an
    /// empty value.
    mutating func typedValue(
        _ entry: Directive, option: SinkOption, keys: [String], sinkName: String
    ) -> SinkOptionValue? {
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
            // A header or environment value written into the file may be a token: only a whole reference is shown.
            for value in arguments.dropFirst() where SinkOptionValue.redactedPairValue(value.text) != value.text {
                sensitiveRanges.append(value.range)
            }
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
                    suggestion: arguments.count <= 1
                        ? nil
                        : arguments.dropFirst().contains(where: { keys.contains($0.text) })
                            ? "separate options with `;` or a new line" : "quote a value that contains spaces")
                return nil
            }
            let token = arguments[0]
            if option.type == .url, token.text.contains("@") { sensitiveRanges.append(token.range) }
            if case .secret = option.type {
                let source = SecretSource(token.text)
                switch resolve(source, key: option.name, sink: sinkName, at: token.range) {
                case .value(let value): return .secret(source: source, value: value)
                case .notRead: return .secret(source: source, value: "")
                case nil: return nil
                }
            }
            if let value = SinkOptionValue(parsing: token.text, as: option.type) {
                return value
            }
            var suggestion: String?
            if case .choice(let words) = option.type {
                suggestion = closestMatch(to: token.text, among: words).map { "did you mean `\($0)`?" }
                    ?? "use one of: \(words.joined(separator: ", "))"
            } else {
                suggestion = Self.example(for: option.type).map { "write a \(option.type) such as \($0)" }
            }
            var shown = token.text
            if option.type == .url {
                // Not a URL, so perhaps `user:password@host` without its scheme.
                shown = token.text.contains("://") || !token.text.contains("@")
                    ? SinkOptionValue.redactingCredentials(token.text)
                    : "<credentials>" + token.text[token.text.lastIndex(of: "@")!...]
            }
            error(
                "`\(shown)` is not a valid \(option.type) for `\(option.name)`", at: token.range,
                suggestion: suggestion)
            return nil
        }
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
                    low > .zero, low <= high, high <= .seconds(86_400)
                else {
                    error(
                        "`\(parts[1])` is not a backoff range (MIN above 0, MAX at most 1d)", at: token.range,
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
}
