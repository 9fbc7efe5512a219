import EngageRelay
import Foundation
import Testing

@Suite struct DocsAndExamplesTests {
    /// The text of docs/config.md between the markers of one generated section.
    func generatedSection(_ command: String) throws -> String {
        let doc = try String(
            contentsOf: Fixtures.repository.appendingPathComponent("docs/config.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "<!-- BEGIN GENERATED: \(command) -->\n"))
        let stop = try #require(doc.range(of: "<!-- END GENERATED -->", range: start.upperBound..<doc.endIndex))
        return String(doc[start.upperBound..<stop.lowerBound])
    }

    @Test func theSinkTablesInDocsConfigMatchTheOptionDeclarations() throws {
        #expect(
            try generatedSection("engage-relay sinks --markdown") == SinkRegistry.builtIn.markdownReference + "\n",
            "docs/config.md is stale: regenerate with `engage-relay sinks --markdown`")
    }

    @Test func theKeyTablesInDocsConfigMatchTheKeyTable() throws {
        #expect(
            try generatedSection("engage-relay keys --markdown") == RelayKeys.markdownReference,
            "docs/config.md is stale: regenerate with `engage-relay keys --markdown`")
    }

    @Test(arguments: try FileManager.default.contentsOfDirectory(atPath: Fixtures.repository.appendingPathComponent("examples").path)
        .filter { $0.hasSuffix(".conf") }.sorted())
    func everyShippedExampleConfigPassesCheck(name: String) throws {
        let environment = [
            "ENGAGE_SIGNING_SECRET": testSecret, "ENGAGE_HEADER_TOKEN": "example-token",
            "ENGAGE_PAYLOAD_KEY": "DaqfT7Ys6tGqM3zbesEKpmacTJEqBCp2", "ERP_TOKEN": "example-erp-token",
        ]
        let loaded = try RelayPlan.load(
            path: Fixtures.repository.appendingPathComponent("examples/\(name)").path, registry: .builtIn,
            environment: environment)
        let errors = loaded.diagnostics.filter { $0.severity == .error }
        #expect(loaded.plan != nil && errors.isEmpty, "\(DiagnosticFormatter.format(errors, source: loaded.source, summary: true))")
    }
}
