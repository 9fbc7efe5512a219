import RelayConfig
import Testing

@Suite("Parser: structure")
struct ConfigParserTests {
    @Test func topLevelDirectivesTakeTheWordsUpToTheEndOfTheLineAsArguments() {
        let (document, diagnostics) = parse("listen 127.0.0.1:8080\npath   /webhooks/engage\nmax-body 1MiB\n")
        #expect(diagnostics.isEmpty)
        #expect(document.directives.map(\.name.text) == ["listen", "path", "max-body"])
        #expect(document.directives.map(\.argumentTexts) == [["127.0.0.1:8080"], ["/webhooks/engage"], ["1MiB"]])
        #expect(document.directives.allSatisfy { $0.block == nil })
    }

    @Test func emptyTextAndCommentOnlyTextGiveNoDirectivesAndNoDiagnostics() {
        for text in ["", "\n\n", "# just a comment\n   # indented { \" comment\n", "   \t  "] {
            let (document, diagnostics) = parse(text)
            #expect(document.directives.isEmpty)
            #expect(diagnostics.isEmpty)
        }
    }

    @Test func blocksNestAndKeepTheirDirectivesInOrder() throws {
        let text = """
            outer a {
                inner b {
                    leaf 1
                }
                after 2
            }
            last
            """
        let (document, diagnostics) = parse(text)
        #expect(diagnostics.isEmpty)
        #expect(document.directives.map(\.name.text) == ["outer", "last"])
        let outer = document.directives[0]
        #expect(outer.argumentTexts == ["a"])
        #expect(outer.childNames == ["inner", "after"])
        let inner = try #require(outer.block?.directives.first)
        #expect(inner.argumentTexts == ["b"])
        #expect(inner.childNames == ["leaf"])
        #expect(inner.block?.directives.first?.argumentTexts == ["1"])
    }

    @Test func blockRecordsTheRangesOfBothBraces() throws {
        let (document, _) = parse("verify {\n    tolerance 5m\n}\n")
        let block = try #require(document.directives.first?.block)
        #expect(block.openBrace == range(line: 1, columns: 8..<9, offsets: 7..<8))
        #expect(block.closeBrace == range(line: 3, columns: 1..<2, offsets: 26..<27))
    }

    @Test func aOneLineBlockHoldsItsDirectiveAndTheClosingBraceEndsTheStatement() {
        let text = "sink audit sqlite { path /var/lib/a.db }\nsink b file { path /x }  sink c file { path /y }\n"
        let (document, diagnostics) = parse(text)
        #expect(diagnostics.isEmpty)
        #expect(document.directives.map(\.argumentTexts) == [["audit", "sqlite"], ["b", "file"], ["c", "file"]])
        #expect(
            document.directives.map { $0.block?.directives.first?.argumentTexts } == [
                ["/var/lib/a.db"], ["/x"], ["/y"],
            ])
    }

    @Test func wordsAfterTheFirstValueInAOneLineBlockStayArgumentsOfTheSameDirective() {
        // The parser knows no keys, so splitting `path X rotate Y` is left to the semantic layer (or `;`).
        let (document, _) = parse("sink contacts file { path /var/log/c.jsonl  rotate 100MiB }")
        let children = document.directives[0].block?.directives ?? []
        #expect(children.map(\.name.text) == ["path"])
        #expect(children.first?.argumentTexts == ["/var/log/c.jsonl", "rotate", "100MiB"])
    }

    @Test func semicolonsSeparateDirectivesOnOneLineAndEmptyStatementsAreIgnored() {
        let (document, diagnostics) = parse("a 1; b 2;; c\nsink s file { path /x; rotate 1MiB; }\n;")
        #expect(diagnostics.isEmpty)
        #expect(document.directives.map(\.name.text) == ["a", "b", "c", "sink"])
        #expect(document.directives.map(\.argumentTexts) == [["1"], ["2"], [], ["s", "file"]])
        #expect(document.directives[3].block?.directives.map(\.argumentTexts) == [["/x"], ["1MiB"]])
    }

    @Test func aDirectiveRangeRunsFromItsNameToItsLastArgument() {
        let (document, _) = parse("  timeout 10s   # trailing comment\n")
        #expect(document.directives[0].range == range(line: 1, columns: 3..<14, offsets: 2..<13))
    }

    @Test func aDirectiveRangeWithABlockEndsAtTheClosingBrace() {
        let (document, _) = parse("spool {\n    path /x\n}\n")
        let directive = document.directives[0]
        #expect(directive.range.start == SourceLocation(line: 1, column: 1, offset: 0))
        #expect(directive.range.end == SourceLocation(line: 3, column: 2, offset: 21))
        #expect(directive.block?.directives[0].range == range(line: 2, columns: 5..<12, offsets: 12..<19))
    }

    @Test func aDirectiveWithoutArgumentsHasARangeCoveringItsName() {
        let (document, _) = parse("drop")
        #expect(document.directives[0].arguments.isEmpty)
        #expect(document.directives[0].range == range(line: 1, columns: 1..<5, offsets: 0..<4))
    }

    @Test func theArchitectureSampleParsesWithoutDiagnostics() throws {
        let text = """
            listen 127.0.0.1:8080
            path   /webhooks/engage
            max-body 1MiB

            verify {
                secret     env:ENGAGE_SIGNING_SECRET     # repeat the line for rotation
                tolerance  5m
                allow      svix-eu 10.20.0.0/16          # named lists and CIDRs; absent = any address
                trust-proxy 127.0.0.1                    # X-Forwarded-For believed only from these
                header     X-Engage-Token env:ENGAGE_HEADER_TOKEN
                decrypt    file:/etc/engage-relay/payload.key
            }

            spool {
                path      /var/lib/engage-relay/spool.db
                retention 7d                            # also the duplicate-detection window
            }

            sink erp http {
                url     https://erp.internal/engage
                header  Authorization "Bearer ${env:ERP_TOKEN}"
                timeout 10s
                retry   attempts=20 backoff=1s..10m
            }
            sink audit     sqlite { path /var/lib/engage-relay/audit.db }
            sink welcome   exec   { command /usr/local/bin/welcome --tenant {tenant}; timeout 30s; concurrency 4 }

            route contact.created                     -> welcome, contacts
            route contact.*                           -> audit
            route point.balance.updated where payload.balance > 1000 and tenant == "se" -> erp
            route *                                   -> ops
            unrouted keep                              # keep | drop | reject
            """
        let (document, diagnostics) = parse(text)
        #expect(diagnostics.isEmpty)
        #expect(
            document.directives.map(\.name.text) == [
                "listen", "path", "max-body", "verify", "spool", "sink", "sink", "sink", "route", "route", "route",
                "route", "unrouted",
            ]
        )
        #expect(
            document.directives[3].childNames == ["secret", "tolerance", "allow", "trust-proxy", "header", "decrypt"]
        )
        #expect(document.directives[3].block?.directives[2].argumentTexts == ["svix-eu", "10.20.0.0/16"])
        let erp = try #require(document.directives[5].block)
        #expect(erp.directives[1].argumentTexts == ["Authorization", "Bearer ${env:ERP_TOKEN}"])
        #expect(erp.directives[3].argumentTexts == ["attempts=20", "backoff=1s..10m"])
        #expect(
            document.directives[7].block?.directives[0].argumentTexts == [
                "/usr/local/bin/welcome", "--tenant", "{tenant}",
            ])
        #expect(document.directives[7].childNames == ["command", "timeout", "concurrency"])
        #expect(document.directives[8].argumentTexts == ["contact.created", "->", "welcome", ",", "contacts"])
        #expect(
            document.directives[10].argumentTexts == [
                "point.balance.updated", "where", "payload.balance", ">", "1000", "and", "tenant", "==", "se", "->",
                "erp",
            ]
        )
        #expect(document.directives[12].argumentTexts == ["keep"])
    }

    @Test func theDocumentKeepsTheSourceItWasParsedFrom() {
        let source = SourceFile(path: "relay.conf", text: "a 1\n")
        let (document, _) = ConfigParser.parse(source)
        #expect(document.source.path == "relay.conf")
        #expect(document.source.text == "a 1\n")
    }
}
