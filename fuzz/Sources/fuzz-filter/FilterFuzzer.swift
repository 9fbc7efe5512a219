import EngageEvents
import Foundation
import FuzzSupport
import RelayConfig
import RelayCore

/// Events with strings, numbers, arrays, nested objects, a missing tenant and a non-object payload, so that
/// evaluation reaches every kind of comparison.
private let events: [EngageEvent] = [
    #"{"eventType":"point.balance.updated","id":"31e6","isEncrypted":false,"payload":{"balance":2500.75,"contactId":"cbe3","accountId":123,"definitionId":"1","items":[{"sku":"A-1","qty":2},{"sku":"B","qty":null}],"flag":true},"tenant":"voyadodemo"}"#,
    #"{"eventType":"contact.updated","eventId":42,"payload":{"contactId":"cbe3","changedAttributes":["mobilePhone"],"Balance":"1e3"}}"#,
    #"{"eventType":"x","payload":[1,"2",[3]]}"#,
].map { try! EngageEvent(decoding: Array($0.utf8), messageId: "msg_fuzz", receivedAt: Date(timeIntervalSince1970: 0)) }

/// The `where` expression language on its own: lexing, parsing, the checks on literals and paths, evaluation and
/// printing. The input is the text after `where`, as the plan builder passes it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFilter(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = FuzzInput(data, size).text
    let (filter, diagnostics) = FilterParser.parse(text[...], at: SourceLocation(line: 3, column: 15, offset: 40))
    invariant((filter == nil) != diagnostics.isEmpty, "a filter and diagnostics together, or neither")
    for diagnostic in diagnostics {
        invariant(
            diagnostic.range.start.offset >= 40 && diagnostic.range.end.offset <= 40 + text.utf8.count,
            "diagnostic range \(diagnostic.range) outside the filter text")
    }
    guard let filter else { return 0 }
    for event in events {
        _ = filter.evaluate(event)
    }
    // The printed form is config syntax: it must at least lex and parse without trapping.
    let printed = filter.description
    _ = FilterParser.parse(printed[...], at: SourceLocation(line: 1, column: 1, offset: 0))
    return 0
}

@main enum FilterFuzzer {
    static func main() { runFuzzer(fuzzFilter) }
}
