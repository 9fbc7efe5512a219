import EngageEvents
import Foundation
import Logging
import RelayCore
import RelayFileSink
import RelayTesting
import Testing

extension FileSinkSerialized {
@Suite struct FileSinkTests {
    func makeSink(path: String) throws -> FileSink { try Fixture.sink(path) }

    func event(_ n: Int, body: String = #"{"eventType":"contact.created","id":"x"}"#) -> EngageEvent {
        Fixture.event(n, body: body)
    }

    var folder: String { Fixture.folder }

    func lines(_ path: String) throws -> [[String: Any]] { try Fixture.lines(path) }

    @Test func writesOneJSONLinePerEventWithTheOriginalBodyAndCreatesFolders() async throws {
        let path = folder + "/a/b/events.jsonl"
        let sink = try makeSink(path: path)
        let outcomes = try await sink.deliver([
            event(1), event(2, body: "{\n  \"eventType\": \"x\",\n  \"a\": \"q\\\"uote\"\n}"),
        ])
        #expect(outcomes == [.delivered, .delivered])
        try await sink.close()
        let written = try lines(path)
        #expect(written.count == 2)
        #expect(written[0]["id"] as? String == "e1")
        #expect(written[0]["messageId"] as? String == "msg_1")
        #expect(written[0]["type"] as? String == "contact.created")
        #expect(written[0]["tenant"] is NSNull)
        #expect(written[1]["tenant"] as? String == "se")
        #expect((written[0]["receivedAt"] as? String)?.hasPrefix("2023-11-14T22:13:20") == true)
        #expect((written[1]["body"] as? [String: Any])?["a"] as? String == "q\"uote")
    }

    @Test func concurrentDeliveriesNeverTearALine() async throws {
        let path = folder + "/events.jsonl"
        let sink = try makeSink(path: path)
        let big = #"{"eventType":"x","pad":""# + String(repeating: "p", count: 20_000) + #""}"#
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<64 { group.addTask { _ = try await sink.deliver([self.event(n, body: big)]) } }
            try await group.waitForAll()
        }
        let written = try lines(path)
        #expect(written.count == 64)
        #expect(Set(written.compactMap { $0["messageId"] as? String }).count == 64)
    }

    @Test func anUnwritablePathIsAClearError() throws {
        let blocker = folder
        try "x".write(toFile: blocker, atomically: true, encoding: .utf8)
        #expect {
            _ = try makeSink(path: blocker + "/events.jsonl")
        } throws: { error in
            "\(error)".contains("cannot create folder") && "\(error)".contains(blocker)
        }
    }
}
}

extension FileSinkSerialized.FileSinkTests {
    @Test func passesSinkConformance() async throws {
        let path = folder + "/conformance.jsonl"
        let problems = await SinkConformance.check(FileSink.self, options: ["path": [.text(path)]]) {
            try lines(path).compactMap { $0["messageId"] as? String }
        }
        #expect(problems.isEmpty, "\(problems)")
    }
}
