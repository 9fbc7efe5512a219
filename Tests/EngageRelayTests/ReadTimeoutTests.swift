import AsyncHTTPClient
import EngageEvents
import EngageRelay
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import RelayCore
import RelayPlanning
import RelayServer
import RelayTesting
import Testing

/// The header timeout is an idle limit between requests: it must not run while a request is being answered.
@Suite struct ReadTimeoutTests {
    /// Takes every event, but only after `delay`, like a spool whose commit is slow.
    struct SlowIntake: EventIntake {
        let delay: Duration

        func accept(_ event: EngageEvent, sinks: [String]) async throws(IntakeError) -> IntakeReceipt {
            try? await Task.sleep(for: delay)
            return .accepted
        }

        func keepUndeliverable(
            messageId: String, body: [UInt8], receivedAt: Date, reason: UndeliverableReason
        ) async throws(IntakeError) -> IntakeReceipt {
            .accepted
        }
    }

    @Test func anAnswerSlowerThanTheHeaderTimeoutStillReachesTheClient() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("timeout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configURL = folder.appendingPathComponent("relay.conf")
        try """
            listen 127.0.0.1:0
            header-timeout 1s
            verify { secret env:ENGAGE_SIGNING_SECRET }
            sink all file { path \(folder.path)/all.jsonl }
            route * -> all
            spool { path \(folder.path)/spool.db }
            """.write(to: configURL, atomically: true, encoding: .utf8)
        let loaded = try RelayPlan.load(
            path: configURL.path, registry: .builtIn, environment: ["ENGAGE_SIGNING_SECRET": testSecret])
        let plan = try #require(loaded.plan, "\(loaded.diagnostics)")
        let body = try Fixtures.engageBody("contact.created.json")
        let signed = try await PythonSvix.sign([body, body])
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = try RelayServer.application(
            plan: plan, intake: SlowIntake(delay: .milliseconds(2500)), logger: Logger(label: "test"),
            onListening: { continuation.yield($0.port) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            // Two requests (the pool keeps the connection alive between them), each answered 2.5 s after its body ended.
            for request in signed {
                var outgoing = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(plan.path)")
                outgoing.method = .POST
                for (name, value) in request.headers() { outgoing.headers.add(name: name, value: value) }
                outgoing.body = .bytes(ByteBuffer(bytes: request.body))
                let response = try await HTTPClient.shared.execute(outgoing, timeout: .seconds(30))
                #expect(response.status.code == 204)
            }
            group.cancelAll()
        }
    }
}
