import EngageEvents
import Foundation
import RelayConfig
import RelayCore
import WebhookVerification

/// Walks a parsed config once, filling a ``RelayPlan`` and collecting every problem on the way.
struct PlanBuilder {
    let document: ConfigDocument
    let registry: SinkRegistry
    let environment: [String: String]
    /// Which `env:`/`file:` secrets to read.
    let secrets: SecretResolution
    var plan: RelayPlan
    var diagnostics: [Diagnostic] = []
    /// Where `max-buffered` was set, for the check against `max-body`.
    var maxBufferedRange: SourceRange?
    /// Where the file holds secret text (literal secrets, header and `env` values, URL credentials), masked in the
    /// source lines diagnostics print.
    var sensitiveRanges: [SourceRange] = []
    /// The `tls` block's files as read so far.
    var tlsFiles: (cert: String?, key: String?) = (nil, nil)

    init(document: ConfigDocument, registry: SinkRegistry, environment: [String: String], secrets: SecretResolution) {
        self.document = document
        self.registry = registry
        self.environment = environment
        self.secrets = secrets
        self.plan = RelayPlan(source: document.source, secretResolution: secrets)
    }

    /// Builds the whole plan: every top-level directive through its key's builder, then the routes (which need
    /// every sink declared first).
    mutating func build() {
        var routes: [Directive] = []
        buildEntries(document.directives, scope: .top) { directive in
            guard directive.name.text == "route" else { return false }
            routes.append(directive)
            return true
        }
        if !document.directives.contains(where: { $0.name.text == "verify" }) {
            error(
                "no `verify` block: every delivery must be signature-checked", at: .fileStart,
                suggestion: "add `verify { secret env:ENGAGE_SIGNING_SECRET }`")
        }
        buildRoutes(routes)
        if plan.limits.maxBuffered < plan.maxBody {
            error(
                "`max-buffered` \(plan.limits.maxBuffered) bytes is less than `max-body` \(plan.maxBody): no body could be read",
                at: maxBufferedRange ?? .fileStart, suggestion: "raise `max-buffered` to at least `max-body`")
        }
        if !document.directives.contains(where: { $0.name.text == "metrics-listen" }) && plan.listen.port == 0 {
            // A receiver on any free port (tests, several on one host) takes any free operations port too.
            plan.metricsListen.port = 0
        }
    }

    /// Runs each directive through the builder of its key in `scope`: unknown keys get a did-you-mean, keys that
    /// may appear once are checked for repeats; `deferring` may keep a directive for later (routes).
    mutating func buildEntries(
        _ directives: [Directive], scope: ConfigScope, deferring: (Directive) -> Bool = { _ in false }
    ) {
        var seen: [String: SourceRange] = [:]
        for directive in directives {
            let name = directive.name.text
            guard let key = RelayKeys.key(name, in: scope) else {
                unknownKey(directive.name, context: scope.context, known: RelayKeys.names(in: scope))
                continue
            }
            if !key.isRepeatable {
                if let previous = seen[name] {
                    error(
                        "`\(name)` is set more than once\(scope == .top ? "" : " in `\(scope.rawValue)`")",
                        at: directive.name.range, suggestion: "keep the one at line \(previous.start.line)")
                    continue
                }
                seen[name] = directive.name.range
            }
            if deferring(directive) { continue }
            key.build(&self, directive)
        }
    }

    /// The entries of a `NAME { ... }` block of the relay's own, each through its key's builder.
    mutating func buildBlock(_ directive: Directive, scope: ConfigScope, usage: String) {
        noArguments(directive)
        guard let block = requireBlock(directive, usage: usage) else { return }
        buildEntries(block.directives, scope: scope)
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
                suggestion: runsIntoAnotherKey(directive) ? "separate options with `;` or a new line" : "write `\(usage)`")
            return nil
        }
        return directive.arguments[0]
    }

    /// Whether a later word of `directive` is a key of the block it is in (`secret env:S tolerance 5m` on one line).
    func runsIntoAnotherKey(_ directive: Directive) -> Bool {
        let scopes = Set(RelayKeys.all.filter { $0.name == directive.name.text }.map(\.scope))
        let siblings = Set(RelayKeys.all.filter { scopes.contains($0.scope) }.map(\.name))
        return directive.arguments.dropFirst().contains { siblings.contains($0.text) }
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

    /// The value of a secret of `key` (in `verify`, or of the option `key` of the sink `sink`), or
    /// ``SecretText/notRead`` when the validation mode leaves it unread (its form is still checked); `nil` after
    /// reporting an error.
    mutating func resolve(
        _ source: SecretSource, key: String, sink: String? = nil, at range: SourceRange
    ) -> SecretText? {
        if case .literal = source, key != "public-key" { sensitiveRanges.append(range) }
        do {
            if case .literal = source {} else if !secrets.reads(verifyKey: sink == nil ? key : nil) {
                try source.validate()
                plan.unreadSecrets.append((sink.map { "sink \($0) \(key)" } ?? key, source))
                return .notRead
            }
            let value = try source.resolve(environment: environment)
            // A public key is public; every other value is kept to be scrubbed from what sinks report.
            if key != "public-key" { plan.secretValues.append(value) }
            return .value(value)
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

/// What a secret reference came to while validating.
enum SecretText {
    /// Its value.
    case value(String)
    /// Not read in this validation mode; its form is fine.
    case notRead
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
