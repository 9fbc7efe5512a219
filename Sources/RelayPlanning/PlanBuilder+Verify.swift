import EngageEvents
import Foundation
import RelayConfig
import RelayCore
import WebhookVerification

/// The `verify` block, validated beside the verifier it configures: every secret is decoded and every layer built
/// here, so a setting that cannot be enforced as written is an error with its location.
extension PlanBuilder {
    mutating func buildVerify(_ directive: Directive) {
        buildBlock(directive, scope: .verify, usage: "verify { secret env:ENGAGE_SIGNING_SECRET }")
        if plan.verification.decryption == nil && !plan.unreadSecrets.contains(where: { $0.key == "decrypt" })
            && !diagnostics.contains(where: { $0.severity == .error })
        {
            warning(
                "no `decrypt` key: events that arrive encrypted will be stored as undeliverable", at: directive.name.range,
                suggestion: "add `decrypt file:PATH` if payload encryption is on in Engage")
        }
        if plan.verification.secrets.isEmpty && plan.verification.publicKeys.isEmpty
            && !plan.unreadSecrets.contains(where: { $0.key == "secret" || $0.key == "public-key" })
            && !diagnostics.contains(where: { $0.severity == .error && directive.range.contains($0.range) })
        {
            error(
                "`verify` has no `secret` or `public-key`", at: directive.name.range,
                suggestion: "add `secret env:ENGAGE_SIGNING_SECRET`")
        }
    }

    mutating func buildVerifySecret(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "secret env:ENGAGE_SIGNING_SECRET") else { return }
        let source = SecretSource(value.text)
        guard case .value(let text) = resolve(source, key: "secret", at: value.range) else { return }
        // A command may print the key without its prefix.
        if text.hasPrefix("whsec_") { plan.secretValues.append(String(text.dropFirst(6))) }
        do {
            plan.verification.secrets.append((source, try WebhookSecret(text)))
        } catch {
            self.error(
                "`secret` \(source) is not a valid signing secret: \(error.message)", at: value.range,
                suggestion: "copy the `whsec_…` secret from the Engage webhook settings")
        }
    }

    mutating func buildVerifyPublicKey(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "public-key env:ENGAGE_PUBLIC_KEY") else { return }
        let source = SecretSource(value.text)
        guard case .value(let text) = resolve(source, key: "public-key", at: value.range) else { return }
        do {
            plan.verification.publicKeys.append((source, try WebhookPublicKey(text)))
        } catch {
            self.error(
                "`public-key` \(source) is not a valid public key: \(error.message)", at: value.range,
                suggestion: "use the `whpk_…` key of the endpoint")
        }
    }

    mutating func buildVerifyTolerance(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "tolerance 5m") else { return }
        if let duration = ConfigValue.duration(value.text), duration >= .seconds(1), duration <= .seconds(86_400) {
            plan.verification.tolerance = duration
        } else {
            error(
                "`\(value.text)` is not a tolerance between 1s and 1d", at: value.range,
                suggestion: "Svix's default is 5m")
        }
    }

    mutating func buildVerifyAddresses(_ entry: Directive) {
        guard !entry.arguments.isEmpty, entry.block == nil else {
            error("`\(entry.name.text)` needs addresses", at: entry.name.range, suggestion: "e.g. `\(entry.name.text) svix-eu 10.0.0.0/8`")
            return
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
    }

    mutating func buildVerifyHeader(_ entry: Directive) {
        guard entry.arguments.count >= 2, entry.block == nil else {
            error(
                "`header` takes a header name and one or more accepted values", at: entry.range,
                suggestion: "write `header X-Engage-Token env:ENGAGE_HEADER_TOKEN`")
            return
        }
        let name = entry.arguments[0]
        // ASCII only: a header name the HTTP layer cannot represent would switch the token check off.
        guard !name.text.isEmpty,
            name.text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            error(
                "`\(name.text)` is not a header name", at: name.range,
                suggestion: "use ASCII letters, digits, `-` and `_`")
            return
        }
        var values: [String] = []
        var sources: [SecretSource] = []
        for token in entry.arguments.dropFirst() {
            let source = SecretSource(token.text)
            guard case .value(let value) = resolve(source, key: "header \(name.text)", at: token.range) else {
                continue
            }
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
    }

    mutating func buildVerifyDecrypt(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "decrypt file:/etc/engage-relay/payload.key") else { return }
        let source = SecretSource(value.text)
        guard case .value(let key) = resolve(source, key: "decrypt", at: value.range) else { return }
        do {
            plan.verification.decryption = (source, try PayloadDecryptor(key: key))
        } catch {
            self.error(
                "`decrypt` \(source) is not a valid payload key: \(error.message)", at: value.range,
                suggestion: "the key is the 32-character [A-Za-z0-9] text from Engage")
        }
    }

    mutating func buildVerifyRateLimit(_ entry: Directive) {
        if let limit = parseRateLimit(entry) { plan.verification.rateLimit = limit }
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
}
