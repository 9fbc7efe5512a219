import EngageRelay
import Foundation
import RelayConfig
import RelayCore
import RelayPlanning
import RelayTesting
import Testing

/// Nothing that passes `check` can trap at run time: every duration, size and count of the relay and of every
/// built-in sink kind refuses values past what the runtime can represent, with an error on the value's line; and a
/// receiver with every relay setting at its largest accepted value serves and delivers.
@Suite struct SettingRangeTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    /// Past every bound: 100 years and a day, Int64 overflows in each unit, sizes past 1 PiB and Int64, counts past Int.
    static let hostile = [
        "36501d", "9223372036854775807s", "9223372036854775807ms", "106751991167301d", "2PiB", "9223372036854775807B",
        "99999999999TiB", "99999999999999999999", "-1",
    ]
    /// A valid block body for each built-in kind, its required options only.
    static let minimal: [String: String] = [
        "file": "path /tmp/range.jsonl", "http": "url http://127.0.0.1:9/", "exec": "command true",
        "sqlite": "path /tmp/range.sqlite", "syslog": "address udp://127.0.0.1:514",
        "postgres": "url postgres://relay@127.0.0.1:9/range",
    ]

    /// Where one numeric setting is written, and the line it is on.
    struct Placement: Sendable, CustomTestStringConvertible {
        let key: String
        let config: @Sendable (String) -> String
        let line: Int
        var testDescription: String { key }
    }

    static var placements: [Placement] {
        var rows: [Placement] = []
        for key in RelayKeys.all where ["duration", "size", "integer"].contains(where: key.value.hasPrefix) {
            switch key.scope {
            case .top:
                rows.append(Placement(key: key.name, config: { "\(key.name) \($0)\n" + base() }, line: 1))
            case .verify:
                rows.append(Placement(key: "verify.\(key.name)", config: { base(verify: "\(key.name) \($0)") }, line: 3))
            case .spool:
                rows.append(Placement(key: "spool.\(key.name)", config: { base(spool: "\(key.name) \($0)") }, line: 7))
            default:
                Issue.record("no placement for \(key.name) in \(key.scope)")
            }
        }
        for entry in SinkRegistry.builtIn.kinds {
            for option in entry.options + DeliveryPolicy.options {
                let numeric: Bool
                switch option.type {
                case .duration, .size, .integer: numeric = true
                default: numeric = false
                }
                guard numeric else { continue }
                rows.append(
                    Placement(
                        key: "\(entry.kind).\(option.name)",
                        config: { base(sink: "sink s \(entry.kind) {\n    \(minimal[entry.kind] ?? "")\n    \(option.name) \($0)\n}") },
                        line: 14))
            }
        }
        for (key, template) in [
            ("retry.attempts", "retry attempts=%@"), ("retry.backoff max", "retry backoff=1s..%@"),
            ("retry.backoff min", "retry backoff=%@..%@"),
        ] {
            rows.append(
                Placement(
                    key: key,
                    config: { value in
                        base(sink: "sink s file {\n    path /tmp/r.jsonl\n    \(template.replacingOccurrences(of: "%@", with: value))\n}")
                    }, line: 14))
        }
        rows.append(
            Placement(
                key: "file.rotate", config: { base(sink: "sink s file {\n    path /tmp/r.jsonl\n    rotate \($0)\n}") },
                line: 14))
        return rows
    }

    static func base(verify: String = "", spool: String = "", sink: String = "sink s file { path /tmp/r.jsonl }") -> String {
        """
        verify {
            secret \(secret)
            \(verify)
        }
        spool {
            path /tmp/range.db
            \(spool)
        }
        listen 127.0.0.1:0


        \(sink)
        route * -> s
        """
    }

    static func errors(_ text: String) -> [Diagnostic] {
        let parsed = ConfigParser.parse(SourceFile(path: "range.conf", text: text))
        let (_, diagnostics) = RelayPlan.validate(parsed.document, registry: .builtIn, environment: [:])
        return (parsed.diagnostics + diagnostics).filter { $0.severity == .error }
    }

    @Test func theBaseConfigIsValid() {
        #expect(Self.errors(Self.base()).isEmpty)
        for (kind, body) in Self.minimal {
            #expect(Self.errors(Self.base(sink: "sink s \(kind) {\n    \(body)\n}")).isEmpty, "\(kind)")
        }
        #expect(Set(Self.minimal.keys) == Set(SinkRegistry.builtIn.kinds.map(\.kind)), "a built-in kind has no minimal block")
    }

    @Test(arguments: placements)
    func hostileValuesAreErrorsOnTheirLine(_ placement: Placement) {
        for value in Self.hostile {
            let errors = Self.errors(placement.config(value))
            #expect(!errors.isEmpty, "`\(placement.key) \(value)` passes check")
            #expect(
                errors.allSatisfy { $0.range.start.line == placement.line },
                "`\(placement.key) \(value)`: \(errors.map { "\($0.range.start.line): \($0.message)" })")
        }
    }

    @Test func theParsersRefuseWhatTheRuntimeCannotRepresent() {
        #expect(ConfigValue.duration("36500d") == ConfigValue.maximumDuration)
        #expect(ConfigValue.duration("36501d") == nil)
        #expect(ConfigValue.duration("3153600000001ms") == nil)
        #expect(ConfigValue.byteSize("1PiB") == nil)  // not a unit
        #expect(ConfigValue.byteSize("1024TiB") == ConfigValue.maximumByteSize)
        #expect(ConfigValue.byteSize("1025TiB") == nil)
        // The longest duration still converts to NIO's Int64 nanoseconds and to stored milliseconds past 2100.
        let seconds = ConfigValue.maximumDuration.components.seconds
        #expect(seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow == false)
        #expect((Int64(Date().timeIntervalSince1970) + seconds).multipliedReportingOverflow(by: 1000).overflow == false)
    }

    @Test func aReceiverWithEverySettingAtItsLargestServesAndDelivers() async throws {
        let config = """
            listen 127.0.0.1:0
            max-body 64MiB
            header-timeout 1h
            body-timeout 1h
            drain-timeout 1h
            max-connections 1000000
            max-buffered 1TiB
            verify {
                secret env:ENGAGE_SIGNING_SECRET
                tolerance 1d
            }
            spool {
                path $DIR/spool.db
                retention 3650d
                max-queue 1000000
                max-size 1024TiB
                lease 1h
            }
            sink all file {
                path $DIR/all.jsonl
                retry attempts=1000 backoff=1d..1d
                max-age 3650d
                max-in-flight 256
                batch 10000
            }
            route * -> all
            """
        try await RunningRelay.with(config: config) { relay in
            let body = try Fixtures.engageBody("contact.created.json")
            let request = try await PythonSvix.sign([body])[0]
            #expect(try await relay.post(request.body, headers: request.headers()).status == 204)
            let delivered = await relay.eventually {
                OperationsTests.messageIds(in: relay.folder.appendingPathComponent("all.jsonl")) == [request.messageId]
            }
            #expect(delivered)
        }
    }
}

/// What a sink kind would refuse when `serve` builds it, `check` refuses first, on the option's line: a config that
/// passes `check` in a config repository's CI does not fail at start-up for a value it could have seen.
@Suite struct SinkOptionCheckTests {
    static let rows: [(block: String, message: String)] = [
        ("sink a file {\n    path /tmp/a.jsonl\n    mode 0999\n}", "must be octal permission bits"),
        ("sink a file {\n    path /tmp/a.jsonl\n    mode 0440\n}", "unable to append to its own file"),
        ("sink a file {\n    path /tmp/a.jsonl\n    rotate 100MiB weekly\n}", "and/or `daily`"),
        ("sink a http {\n    timeout 5s\n    url ftp://h/\n}", "must be an http:// or https:// URL"),
        ("sink a http {\n    timeout 5s\n    url http:///path\n}", "must be an http:// or https:// URL"),
        ("sink a http {\n    url http://h/\n    header Content-Type text/plain\n}", "is set by the http sink itself"),
        ("sink a sqlite {\n    path /tmp/a.db\n    table 1events\n}", "is not an SQL identifier"),
        ("sink a sqlite {\n    path /tmp/a.db\n    column balance balance\n}", "is not a payload path"),
    ]

    @Test(arguments: rows.indices)
    func aValueTheSinkWouldRefuseIsACheckErrorOnItsLine(_ row: Int) {
        let (block, message) = Self.rows[row]
        let text = "verify { secret \(SettingRangeTests.secret) }\n\(block)\nroute * -> a\n"
        let errors = SettingRangeTests.errors(text)
        #expect(errors.contains { $0.range.start.line == 4 && $0.message.contains(message) }, "\(errors.map(\.message))")
    }
}
