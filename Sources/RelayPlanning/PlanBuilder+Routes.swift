import EngageEvents
import Foundation
import RelayConfig
import RelayCore
import WebhookVerification

extension PlanBuilder {

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
}
