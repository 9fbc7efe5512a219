import AsyncHTTPClient
import EngageRelay
import Foundation
import NIOCore
import NIOHTTP1
import RelayTesting
import Synchronization
import Testing

/// `kill -9` of the real server mid-stream loses nothing that was acknowledged.
@Suite struct CrashTests {
    /// State shared by the client tasks.
    final class Shared: Sendable {
        let acknowledged = Mutex<[String]>([])
        let next = Mutex(0)
        let killed = Mutex(false)
        let refusedStatuses = Mutex<[Int]>([])
    }

    /// A fresh folder with a config: spool and one file sink in it, every event routed to the sink.
    static func makeConfig(prefix: String) throws -> (folder: URL, config: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = folder.appendingPathComponent("relay.conf")
        try """
        listen 127.0.0.1:0
        verify { secret env:ENGAGE_SIGNING_SECRET }
        spool { path \(folder.path)/spool.db }
        sink out file { path \(folder.path)/out.jsonl }
        route * -> out
        """.write(to: config, atomically: true, encoding: .utf8)
        return (folder, config)
    }

    /// The message ids in the file sink's output (duplicates kept), once every id in `expected` is there or the
    /// timeout passes.
    static func waitForDelivery(of expected: Set<String>, in folder: URL, timeout: Duration) async throws -> [String] {
        let output = folder.appendingPathComponent("out.jsonl")
        let deadline = ContinuousClock.now + timeout
        var delivered: [String] = []
        repeat {
            try await Task.sleep(for: .milliseconds(200))
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            delivered = text.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["messageId"] as? String
            }
        } while !expected.isSubset(of: Set(delivered)) && ContinuousClock.now < deadline
        return delivered
    }

    /// One client: takes the next request, posts it, records the message id when answered 2xx; stops when the
    /// requests run out or the server is gone.
    static func send(_ requests: [SignedRequest], to port: Int, recordingIn shared: Shared) async {
        while !shared.killed.withLock({ $0 }) {
            let index = shared.next.withLock { value -> Int in
                defer { value += 1 }
                return value
            }
            guard index < requests.count else { return }
            var http = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/engage")
            http.method = .POST
            for (name, value) in requests[index].headers() { http.headers.add(name: name, value: value) }
            http.body = .bytes(ByteBuffer(bytes: requests[index].body))
            guard let response = try? await HTTPClient.shared.execute(http, timeout: .seconds(10)) else { continue }
            _ = try? await response.body.collect(upTo: 1024)
            if (200..<300).contains(response.status.code) {
                shared.acknowledged.withLock { $0.append(requests[index].messageId) }
            } else {
                shared.refusedStatuses.withLock { $0.append(Int(response.status.code)) }
            }
        }
    }

    @Test func everyAcknowledgedDeliverySurvivesKill9() async throws {
        let (folder, config) = try Self.makeConfig(prefix: "crash")

        let samples = try Fixtures.engageBodies().map(\.body)
        let requests = try await PythonSvix.sign((0..<2000).map { samples[$0 % samples.count] })
        let shared = Shared()

        let first = try RelayProcess(config: config, log: folder.appendingPathComponent("first.log"))
        defer { first.stop() }
        let port = try await first.port()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask { await Self.send(requests, to: port, recordingIn: shared) }
            }
            group.addTask {
                while shared.acknowledged.withLock({ $0.count }) < 700 { try await Task.sleep(for: .milliseconds(5)) }
                await first.kill9()
                shared.killed.withLock { $0 = true }
            }
            try await group.waitForAll()
        }
        let acked = Set(shared.acknowledged.withLock { $0 })
        #expect(acked.count >= 700)

        let second = try RelayProcess(config: config, log: folder.appendingPathComponent("second.log"))
        defer { second.stop() }
        _ = try await second.port()
        let delivered = try await Self.waitForDelivery(of: acked, in: folder, timeout: .seconds(90))
        let missing = acked.subtracting(Set(delivered))
        #expect(missing.isEmpty, "\(missing.count) acknowledged deliveries are missing after the crash")
        let duplicates = delivered.count - Set(delivered).count
        print("crash test: \(acked.count) acknowledged, \(Set(delivered).count) delivered, \(duplicates) duplicate lines")
    }
}

extension CrashTests {
    @Test func sigtermDuringLoadExitsZeroAndLosesNothingAcknowledged() async throws {
        let (folder, config) = try Self.makeConfig(prefix: "term")
        let samples = try Fixtures.engageBodies().map(\.body)
        let requests = try await PythonSvix.sign((0..<600).map { samples[$0 % samples.count] })
        let shared = Shared()

        let server = try RelayProcess(config: config, log: folder.appendingPathComponent("first.log"))
        defer { server.stop() }
        let port = try await server.port()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { await Self.send(requests, to: port, recordingIn: shared) }
            }
            group.addTask {
                while shared.acknowledged.withLock({ $0.count }) < 200 { try await Task.sleep(for: .milliseconds(5)) }
                kill(server.process.processIdentifier, SIGTERM)
                let signalled = ContinuousClock.now
                await server.waitForExit()
                print("SIGTERM under load: exited \(ContinuousClock.now - signalled) after the signal")
                shared.killed.withLock { $0 = true }
            }
            try await group.waitForAll()
        }
        #expect(server.process.terminationReason == .exit)
        #expect(server.process.terminationStatus == 0)
        let refused = shared.refusedStatuses.withLock { $0 }
        #expect(refused.allSatisfy { $0 == 503 }, "while draining, new requests get 503 (shutting_down): \(refused)")
        let acked = Set(shared.acknowledged.withLock { $0 })

        let second = try RelayProcess(config: config, log: folder.appendingPathComponent("second.log"))
        defer { second.stop() }
        _ = try await second.port()
        let delivered = try await Self.waitForDelivery(of: acked, in: folder, timeout: .seconds(60))
        #expect(acked.subtracting(Set(delivered)).isEmpty)
    }
}
