import EngageEvents
import Foundation
import Logging
import RelayCore
import RelayTesting
import Testing

@testable import RelaySyslogSink

/// Against a real rsyslog, one at a time: each test starts its own daemon on free loopback ports.
@Suite(.serialized) struct SyslogSinkTests {
    func makeSink(_ options: [String: String]) throws -> SyslogSink {
        try SyslogSink(
            configuration: SinkConfiguration(name: "ops", options: SinkOptions(options.mapValues { [.text($0)] })),
            context: SinkContext(logger: Logger(label: "test")))
    }

    func withRsyslog(_ body: (Rsyslog) async throws -> Void) async throws {
        let rsyslog = try Rsyslog()
        defer { rsyslog.tearDown() }
        try rsyslog.start()
        try await body(rsyslog)
    }

    static func event(
        type: String = "contact.created", id: String = "ev-1", tenant: String? = "se",
        payload: String = #"{"contactId":"c-1"}"#
    ) -> EngageEvent {
        EngageEvent(
            id: id, messageId: "msg_\(id)", type: EventType(type), tenant: tenant,
            receivedAt: Date(timeIntervalSince1970: 1_714_566_896.75), isEncrypted: false,
            payload: try! JSONValue(parsing: Array(payload.utf8)), body: Array(#"{"eventType":"\#(type)"}"#.utf8))
    }

    static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    func expectRFC5424(_ line: Substring, for event: EngageEvent, priority: Int) throws {
        let parsed = try SyslogLine(line)
        #expect(parsed.priority == priority)
        #expect(parsed.version == 1)
        #expect(parsed.timestamp == event.receivedAt.formatted(SyslogSinkTests.timestamp))
        #expect(parsed.hostname == "relay-test")
        #expect(parsed.appName == "engage-relay")
        #expect(parsed.processID == "\(getpid())")
        #expect(parsed.messageID == event.type.rawValue)
        let element = try #require(parsed.structuredData["engage@32473"])
        #expect(element["eventId"] == event.id)
        #expect(element["messageId"] == event.messageId)
        #expect(element["tenant"] == event.tenant)
        #expect(element["contactId"] == event.typedPayload.contactId)
        let message = try JSONValue(parsing: Array(parsed.message.utf8))
        #expect(message == event.payload)
    }

    @Test func udpDeliversOneRFC5424MessagePerEvent() async throws {
        try await withRsyslog { rsyslog in
            let sink = try makeSink([
                "address": "udp://127.0.0.1:\(rsyslog.udpPort)", "facility": "local0", "severity": "notice",
                "hostname": "relay-test",
            ])
            let events = SinkConformance.sampleEvents(count: 4)
            #expect(try await sink.deliver(events) == Array(repeating: .delivered, count: 4))
            try await sink.close()
            let lines = try rsyslog.waitForLines(4)
            #expect(lines.count == 4)
            for event in events {
                let line = try #require(lines.first { $0.contains(event.messageId) })
                try expectRFC5424(line, for: event, priority: 16 * 8 + 5)
            }
        }
    }

    @Test func tcpUsesOctetCountingOverOneConnection() async throws {
        try await withRsyslog { rsyslog in
            let sink = try makeSink(["address": "tcp://127.0.0.1:\(rsyslog.tcpPort)", "hostname": "relay-test"])
            let first = SinkConformance.sampleEvents(count: 3)
            let second = [
                SyslogSinkTests.event(
                    type: "reward.voucher.created", id: "rv-1", tenant: nil,
                    payload: #"{"ContactId":"pc-1","Amount":2500.75,"Note":"a ] \" \\ b"}"#)
            ]
            #expect(try await sink.deliver(first) == [.delivered, .delivered, .delivered])
            #expect(try await sink.deliver(second) == [.delivered])
            try await sink.close()
            let lines = try rsyslog.waitForLines(4)
            #expect(lines.count == 4)
            for event in first + second {
                let line = try #require(lines.first { $0.contains(event.messageId) })
                try expectRFC5424(line, for: event, priority: 1 * 8 + 6)
            }
            #expect(lines.last?.contains(" 2024-05-01T12:34:56.750Z relay-test ") == true)
            #expect(lines.last?.hasSuffix(#"{"Amount":2500.75,"ContactId":"pc-1","Note":"a ] \" \\ b"}"#) == true)
        }
    }

    @Test func aUnixDatagramSocketReceivesMessages() async throws {
        try await withRsyslog { rsyslog in
            let sink = try makeSink([
                "address": "unix://\(rsyslog.socketPath)", "hostname": "relay-test", "template": "{type} {id}",
            ])
            #expect(try await sink.deliver([SyslogSinkTests.event()]) == [.delivered])
            try await sink.close()
            let lines = try rsyslog.waitForLines(1)
            let parsed = try SyslogLine(try #require(lines.first))
            #expect(parsed.messageID == "contact.created")
            #expect(parsed.message == "contact.created ev-1")
        }
    }

    @Test func rfc3164HasPriTimestampHostnameAndTag() async throws {
        try await withRsyslog { rsyslog in
            let sink = try makeSink([
                "address": "udp://127.0.0.1:\(rsyslog.udpPort)", "format": "rfc3164", "facility": "daemon",
                "severity": "err", "hostname": "relay-test",
                "template": "{type} id={id} tenant={tenant} contact={contactId}",
            ])
            #expect(try await sink.deliver([SyslogSinkTests.event(tenant: nil)]) == [.delivered])
            try await sink.close()
            let line = String(try #require(try rsyslog.waitForLines(1).first))
            let stamp = SyslogFormatter.bsdTimestamp(Date(timeIntervalSince1970: 1_714_566_896.75), in: .current)
            #expect(
                line == "<27>\(stamp) relay-test engage-relay[\(getpid())]: contact.created id=ev-1 tenant= contact=c-1"
            )
            #expect(
                line.wholeMatch(of: /<27>[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d relay-test engage-relay\[\d+\]: .*/)
                    != nil)
        }
    }

    @Test func aLongMessageIsCutOnACharacterBoundaryAndMarked() async throws {
        try await withRsyslog { rsyslog in
            let sink = try makeSink(["address": "udp://127.0.0.1:\(rsyslog.udpPort)", "hostname": "relay-test"])
            let long = String(repeating: "€", count: 1500)
            #expect(try await sink.deliver([SyslogSinkTests.event(payload: #"{"text":"\#(long)"}"#)]) == [.delivered])
            try await sink.close()
            _ = try rsyslog.waitForLines(1)
            var raw = rsyslog.rawOutput()
            #expect(raw.last == UInt8(ascii: "\n"))
            raw.removeLast()
            #expect(raw.count <= 2048)
            #expect(raw.count > 2040)
            let text = try #require(String(validating: raw, as: UTF8.self))
            #expect(text.hasSuffix("€€…[truncated]"))
            #expect(try SyslogLine(text[...]).message.hasPrefix(#"{"text":"€€€"#))
        }
    }

    @Test(arguments: 1060...1080)
    func truncationNeverSplitsACharacter(limit: Int) {
        let formatter = SyslogFormatter(
            format: .rfc3164, priority: 14, hostname: "h", appName: "a", processID: "1",
            template: try! EventTemplate(parsing: String(repeating: "å€😀", count: 200)))
        let message = formatter.message(for: SyslogSinkTests.event(), limit: limit)
        #expect(message.count <= limit)
        #expect(message.count > limit - 4)
        #expect(String(validating: message, as: UTF8.self)?.hasSuffix("…[truncated]") == true)
    }

    @Test func tcpReconnectsOnTheNextDeliveryAfterTheReceiverRestarts() async throws {
        let rsyslog = try Rsyslog()
        defer { rsyslog.tearDown() }
        try rsyslog.start()
        let sink = try makeSink(["address": "tcp://127.0.0.1:\(rsyslog.tcpPort)", "hostname": "relay-test"])
        #expect(try await sink.deliver([SyslogSinkTests.event(id: "before")]) == [.delivered])
        _ = try rsyslog.waitForLines(1)

        rsyslog.stop()
        try await Task.sleep(for: .milliseconds(300))  // lets the sink's event loop see the connection close
        await #expect(throws: (any Error).self) { try await sink.deliver([SyslogSinkTests.event(id: "while-down")]) }
        try rsyslog.start()

        // The engine retries with backoff; the first attempt after the restart may still meet the old connection.
        var delivered = false
        for _ in 0..<3 where !delivered {
            do {
                delivered = try await sink.deliver([SyslogSinkTests.event(id: "after")]) == [.delivered]
            } catch {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        #expect(delivered)
        try await sink.close()
        let lines = try rsyslog.waitForLines(2)
        #expect(lines.contains { $0.contains(#"eventId="before""#) })
        #expect(lines.contains { $0.contains(#"eventId="after""#) })
    }

    @Test func aTCPReceiverThatStopsReadingCostsABatchTheTimeoutNotTheLane() async throws {
        // A real TCP peer that accepts and never reads, with a small receive buffer: the relay's writes stop
        // completing once the socket buffers are full.
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [
            "python3", "-c",
            """
            import socket, sys
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            print(s.getsockname()[1], flush=True)
            connection, _ = s.accept()
            sys.stdin.read()
            """,
        ]
        let output = Pipe()
        server.standardOutput = output
        server.standardInput = Pipe()
        try server.run()
        defer { server.terminate() }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)), "no port from the peer: \(line)")

        let sink = try makeSink(["address": "tcp://127.0.0.1:\(port)", "timeout": "500ms"])
        let payload = #"{"text":""# + String(repeating: "a", count: 6000) + #""}"#
        let batch = (0..<64).map { SyslogSinkTests.event(id: "ev-\($0)", payload: payload) }
        var failure: String?
        var delivered = 0
        for _ in 0..<300 where failure == nil {
            do {
                let outcomes = try await sink.deliver(batch)
                delivered += outcomes.filter { $0 == .delivered }.count
                failure = outcomes.compactMap { outcome -> String? in
                    if case .retry(let reason, _) = outcome { return reason }
                    return nil
                }.first
            } catch {
                failure = "\(error)"
            }
        }
        #expect(failure?.contains("writing did not finish within") == true, "after \(delivered) messages: \(failure ?? "none")")
        try await sink.close()
    }

    @Test func aClosedTCPPortThrowsSoTheEngineRetries() async throws {
        let port = try LoopbackPort.free(stream: true)
        let sink = try makeSink(["address": "tcp://127.0.0.1:\(port)"])
        await #expect {
            _ = try await sink.deliver([SyslogSinkTests.event()])
        } throws: { error in
            "\(error)".contains("cannot connect to syslog at tcp://127.0.0.1:\(port)")
        }
        try await sink.close()
    }

    @Test func structuredDataValuesAreEscapedAndTheMessageIDIsCut() throws {
        let formatter = SyslogFormatter(
            format: .rfc5424, priority: 14, hostname: "h", appName: "a", processID: "1", template: nil)
        let event = SyslogSinkTests.event(
            type: "some.very.long.event.type.from.the.future.x", id: #"a"b\c]d"#, tenant: "ö", payload: "{}")
        let text = String(decoding: formatter.message(for: event, limit: 2048), as: UTF8.self)
        #expect(text.contains(#" some.very.long.event.type.from.t [engage@32473 eventId="a\"b\\c\]d" tenant="ö""#))
        let parsed = try SyslogLine(text[...])
        #expect(parsed.messageID.count == 32)
        #expect(parsed.structuredData["engage@32473"]?["eventId"] == #"a"b\c]d"#)
        #expect(parsed.message == "{}")
    }

    @Test(arguments: [
        (["address": "127.0.0.1:514"], "no udp://, tcp:// or unix:// scheme"),
        (["address": "udp://127.0.0.1"], "has no port"),
        (["address": "tcp://127.0.0.1:99999"], "no valid port"),
        (["address": "udp://:514"], "no valid host"),
        (["address": "udp://010.0.0.1:514"], "no valid host"),
        (["address": "tcp://[::ffff:10.0.0.01]:514"], "no valid host"),
        (["address": "udp://[::1:514"], "unclosed IPv6 bracket"),
        (["address": "unix://dev/log"], "absolute socket path"),
        (["address": "udp://127.0.0.1:514", "app-name": "engage relay"], "app-name `engage relay`"),
        (["address": "udp://127.0.0.1:514", "hostname": "a b"], "hostname `a b`"),
        (["address": "udp://127.0.0.1:514", "template": "{type} {contact}"], "unknown placeholder `{contact}`"),
    ])
    func badOptionsAreClearErrors(options: [String: String], expected: String) {
        #expect {
            _ = try makeSink(options)
        } throws: { error in
            "\(error)".contains(expected) && "\(error)".contains("sink `ops`")
        }
    }

    @Test(arguments: [
        ("udp://127.0.0.1:514", SyslogAddress.udp(host: "127.0.0.1", port: 514)),
        ("tcp://[::1]:6514", .tcp(host: "::1", port: 6514)),
        ("tcp://logs.example.com:601", .tcp(host: "logs.example.com", port: 601)),
        ("unix:///dev/log", .unix(path: "/dev/log")),
    ])
    func addressesParse(text: String, address: SyslogAddress) throws {
        #expect(try SyslogAddress(parsing: text) == address)
        #expect(address.description == text)
    }

    @Test func templatesKeepBracesThatAreNotPlaceholders() throws {
        let template = try EventTemplate(parsing: #"{"t":"{type}"} {} { id } {tenant}"#)
        #expect(template.render(SyslogSinkTests.event(tenant: nil)) == #"{"t":"contact.created"} {} { id } "#)
    }

    @Test func passesSinkConformance() async throws {
        try await withRsyslog { rsyslog in
            let problems = await SinkConformance.check(
                SyslogSink.self, options: ["address": [.text("tcp://127.0.0.1:\(rsyslog.tcpPort)")]]
            ) {
                _ = try rsyslog.waitForLines(5)
                return try rsyslog.lines().compactMap {
                    try SyslogLine($0).structuredData["engage@32473"]?["messageId"]
                }
            }
            #expect(problems.isEmpty, "\(problems)")
        }
    }
}
