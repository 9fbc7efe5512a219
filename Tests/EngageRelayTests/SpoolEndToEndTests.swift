import EngageRelay
import Foundation
import Logging
import NIOHTTP1
import RelaySpoolSQLite
import RelayTesting
import Testing

/// The durable path: acknowledge only what is stored, deliver with retries, lose nothing.
@Suite struct SpoolEndToEndTests {
    static let registry = SinkRegistry.builtIn.adding(InMemorySink.self)

    func readSpool(_ relay: RunningRelay) throws -> SQLiteSpool {
        try SQLiteSpool(path: relay.spoolPath, logger: .init(label: "test"))
    }

    /// Runs the CLI on the relay's config, or on its spool alone when the config uses test-only sink kinds.
    func cli(_ relay: RunningRelay, _ arguments: [String], spoolOnly: Bool = false) async throws -> ChildProcess.Output {
        var environment = ProcessInfo.processInfo.environment
        environment["ENGAGE_SIGNING_SECRET"] = testSecret
        let location = spoolOnly ? ["--spool", relay.spoolPath] : ["--config", relay.configPath]
        return try await ChildProcess.run(RelayBinary.url.path, arguments + location, environment: environment)
    }

    @Test func twentyConcurrentCopiesOfOneMessageCreateOneEventAndOneDeliveryPerSink() async throws {
        let body = try Fixtures.engageBody("contact.created.json")
        let request = try await PythonSvix.sign([body])[0]
        let config = """
            listen 127.0.0.1:0
            verify { secret env:ENGAGE_SIGNING_SECRET }
            sink a file { path $DIR/a.jsonl }
            sink b file { path $DIR/b.jsonl }
            route * -> a, b
            """
        try await RunningRelay.with(config: config) { relay in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { try await relay.post(request.body, headers: request.headers()).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 204 }.count == 1)
            #expect(statuses.filter { $0 == 200 }.count == 19)
            _ = try await relay.waitForLines("a.jsonl", count: 1)
            _ = try await relay.waitForLines("b.jsonl", count: 1)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try relay.lines("a.jsonl").count == 1)
            #expect(try relay.lines("b.jsonl").count == 1)
            let events = try await readSpool(relay).events(EventQuery())
            #expect(events.count == 1)
            #expect(events.first?.deliveries.map(\.sink).sorted() == ["a", "b"])
        }
    }

    @Test func aSinkThatFailsThreeTimesIsDeliveredOnTheFourthAttempt() async throws {
        let request = try await PythonSvix.sign([try Fixtures.engageBody("contact.created.json")])[0]
        let config = """
            listen 127.0.0.1:0
            verify { secret env:ENGAGE_SIGNING_SECRET }
            sink flaky memory { label flaky-retry; retry attempts=5 backoff=100ms..2s }
            route * -> flaky
            """
        try await RunningRelay.with(config: config, registry: Self.registry) { relay in
            let sink = try #require(InMemorySink.named("flaky-retry"))
            sink.failNext([.retry(reason: "down"), .retry(reason: "down"), .retry(reason: "still down")])
            #expect(try await relay.post(request.body, headers: request.headers()).status == 204)
            #expect(await relay.eventually { sink.events.count == 1 })
            let attempts = sink.attempts
            #expect(attempts.count == 4)
            let gaps = zip(attempts.dropFirst(), attempts).map { $0 - $1 }
            #expect(gaps.allSatisfy { $0 >= .milliseconds(90) }, "every retry waits at least the minimum backoff")
            let stored = try #require(try await readSpool(relay).event(request.messageId))
            #expect(stored.deliveries.first?.state == .delivered)
            #expect(stored.deliveries.first?.attempts == 3)
        }
    }

    @Test func aPermanentFailureIsADeadLetterThatRetryAndReplayDeliver() async throws {
        let request = try await PythonSvix.sign([try Fixtures.engageBody("point.balance.updated.json")])[0]
        let config = """
            listen 127.0.0.1:0
            verify { secret env:ENGAGE_SIGNING_SECRET }
            sink crm memory { label dead-letter-crm }
            route * -> crm
            """
        try await RunningRelay.with(config: config, registry: Self.registry) { relay in
            let sink = try #require(InMemorySink.named("dead-letter-crm"))
            sink.failNext([.failed(reason: "422 from the CRM")])
            #expect(try await relay.post(request.body, headers: request.headers()).status == 204)
            let spool = try readSpool(relay)
            let deadLettered = try await relay.eventually {
                try await spool.event(request.messageId)?.deliveries.first?.state == .failed
            }
            #expect(deadLettered)
            let listed = try await cli(relay, ["dead-letters", "list", "--json"], spoolOnly: true)
            #expect(listed.status == 0, "\(listed.stderrText)")
            #expect(listed.stdoutText.contains(request.messageId) && listed.stdoutText.contains("422 from the CRM"))

            let retried = try await cli(relay, ["dead-letters", "retry"], spoolOnly: true)
            #expect(retried.stdoutText.hasPrefix("queued 1 delivery"), "\(retried.stderrText)")
            #expect(await relay.eventually { sink.events.count == 1 })

            let replayed = try await cli(relay, ["replay", request.messageId], spoolOnly: true)
            #expect(replayed.stdoutText.hasPrefix("queued 1 delivery"), "\(replayed.stderrText)")
            #expect(await relay.eventually { sink.events.count == 2 })
            let after = try await cli(relay, ["dead-letters", "list", "--json"], spoolOnly: true).stdoutText
            #expect(after.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        }
    }

    @Test func anUnroutedEventIsKeptAndDeliveredByReplayOnceARouteExists() async throws {
        let request = try await PythonSvix.sign([try Fixtures.engageBody("unknown.future.event.json")])[0]
        let config = """
            listen 127.0.0.1:0
            verify { secret env:ENGAGE_SIGNING_SECRET }
            sink contacts file { path $DIR/contacts.jsonl }
            sink orders file { path $DIR/orders.jsonl }
            route contact.* -> contacts
            """
        try await RunningRelay.with(config: config) { relay in
            #expect(try await relay.post(request.body, headers: request.headers()).status == 204)
            let listed = try await cli(relay, ["events", "list", "--json"])
            #expect(listed.stdoutText.contains("\"unrouted\""), "\(listed.stdoutText)")
            try (try String(contentsOfFile: relay.configPath, encoding: .utf8) + "\nroute order.* -> orders\n")
                .write(toFile: relay.configPath, atomically: true, encoding: .utf8)
            let replayed = try await cli(relay, ["replay", request.messageId])
            #expect(replayed.stdoutText.hasPrefix("queued 1 delivery"), "\(replayed.stdoutText) \(replayed.stderrText)")
            let lines = try await relay.waitForLines("orders.jsonl", count: 1)
            #expect(lines.first?["messageId"] as? String == request.messageId)
        }
    }

    @Test(arguments: [("drop", 204), ("reject", 422)])
    func unroutedDropAndRejectStoreNothing(policy: String, status: Int) async throws {
        let request = try await PythonSvix.sign([try Fixtures.engageBody("unknown.future.event.json")])[0]
        let config = """
            listen 127.0.0.1:0
            verify { secret env:ENGAGE_SIGNING_SECRET }
            sink contacts file { path $DIR/contacts.jsonl }
            route contact.* -> contacts
            unrouted \(policy)
            """
        try await RunningRelay.with(config: config) { relay in
            let response = try await relay.post(request.body, headers: request.headers())
            #expect(response.status == status)
            let stored = try await readSpool(relay).events(EventQuery())
            #expect(stored.isEmpty)
        }
    }

    @Test func aSpoolOnAnUnwritablePathIsAClearStartUpError() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let blocker = folder.appendingPathComponent("not-a-folder")
        try "x".write(to: blocker, atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("relay.conf")
        try """
        listen 127.0.0.1:0
        verify { secret env:ENGAGE_SIGNING_SECRET }
        spool { path \(blocker.path)/spool.db }
        sink a file { path \(folder.path)/a.jsonl }
        route * -> a
        """.write(to: config, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["ENGAGE_SIGNING_SECRET"] = testSecret
        let result = try await ChildProcess.run(
            RelayBinary.url.path, ["serve", "--config", config.path], environment: environment)
        #expect(result.status == 1)
        #expect(result.stderrText.contains("cannot open spool `\(blocker.path)/spool.db`"), "\(result.stderrText)")
    }
}

extension SpoolEndToEndTests {
    @Test func aSpoolThatFailsAtRuntimeMakesIngestAnswer503() async throws {
        let padding = String(repeating: "x", count: 16 * 1024)
        let bodies = (0..<40).map {
            Array(#"{"eventType":"contact.updated","id":"\#($0)","payload":{"contactId":"c","note":"\#(padding)"}}"#.utf8)
        }
        let requests = try await PythonSvix.sign(bodies)
        let config = """
            listen 127.0.0.1:0
            max-body 64KiB
            verify { secret env:ENGAGE_SIGNING_SECRET }
            spool { path $DIR/spool.db; max-size 256KiB }
            sink a file { path $DIR/a.jsonl }
            route * -> a
            """
        try await RunningRelay.with(config: config) { relay in
            var statuses: [Int] = []
            var retryAfter: String?
            for request in requests {
                let response = try await relay.post(request.body, headers: request.headers())
                statuses.append(response.status)
                if response.status == 503 {
                    retryAfter = response.headers["retry-after"].first
                    #expect(response.body == #"{"error":"unavailable"}"#)
                }
            }
            #expect(statuses.contains(204), "the first events fit")
            #expect(statuses.contains(503), "a full spool answers 503, never 500 or 204")
            #expect(!statuses.contains(500))
            #expect(retryAfter != nil)
            let stored = try await readSpool(relay).events(EventQuery(limit: 1000)).count
            #expect(stored == statuses.filter { $0 == 204 }.count, "every 204 is stored, nothing else")
        }
    }
}
