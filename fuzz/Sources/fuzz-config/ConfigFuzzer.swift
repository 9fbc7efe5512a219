import FuzzSupport
import RelayConfig
import RelayCore
import RelayPlanning
import RelayTesting

/// A registry with one sink kind, so that `sink NAME memory { ... }` blocks get as far as option checking.
private let registry = SinkRegistry.empty.adding(InMemorySink.self)
/// Variables that `env:` secrets in the seeds refer to.
private let environment = [
    "ENGAGE_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "ENGAGE_PAYLOAD_KEY": "DaqfT7Ys6tGqM3zbesEKpmacTJEqBCp2",
    "RELAY_TOKEN": "token",
]

/// The config file path of `engage-relay check`: lexer, parser, plan builder (with its `where` filters), and the
/// diagnostics as printed, every located diagnostic lying within the text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let source = SourceFile(path: "fuzz.conf", text: FuzzInput(data, size).text)
    let byteCount = source.text.utf8.count
    let (document, syntaxDiagnostics) = ConfigParser.parse(source)
    let (plan, planDiagnostics) = RelayPlan.validate(document, registry: registry, environment: environment)
    let diagnostics = syntaxDiagnostics + planDiagnostics
    for diagnostic in diagnostics {
        let range = diagnostic.range
        invariant(
            range.start.offset >= 0 && range.start.offset <= range.end.offset && range.end.offset <= byteCount,
            "diagnostic range \(range) outside a text of \(byteCount) bytes: \(diagnostic.message)")
        invariant(range.start.line >= 1 && range.start.column >= 1, "diagnostic at \(range.start)")
    }
    _ = DiagnosticFormatter.format(diagnostics, source: source, summary: true)
    if let plan {
        _ = plan.summary
    }
    return 0
}

@main enum ConfigFuzzer {
    static func main() { runFuzzer(fuzzConfig) }
}
