import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayTesting
import Synchronization
import Testing

/// Several real receivers on one real PostgreSQL database, with signatures from the official `svix` package.
@Suite struct ScaleOutTests {
    /// What the clients saw.
    final class Tally: Sendable {
        let acknowledged = Mutex<[String]>([])
        let statuses = Mutex<[Int: Int]>([:])
        let next = Mutex(0)
        let down = Mutex<Set<Int>>([])
        /// 0 before the database stops, 1 while it is stopped, 2 after its restart.
        let phase = Mutex(0)

        func take() -> Int { next.withLock { value in defer { value += 1 }; return value } }
        func count(_ status: Int) { statuses.withLock { $0[status, default: 0] += 1 } }
        var acknowledgedCount: Int { acknowledged.withLock { $0.count } }
    }

    /// A config for one receiver: the shared database, and a file sink of its own.
    static func config(in folder: URL, name: String, database: String, extra: String = "") throws -> URL {
        let config = folder.appendingPathComponent("\(name).conf")
        try """
        listen 127.0.0.1:0
        verify { secret env:ENGAGE_SIGNING_SECRET }
        spool {
            url \(database)
            lease 3s
        }
        sink out file { path \(folder.path)/\(name).jsonl }
        route * -> out
        \(extra)
        """.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    /// The message ids the file sinks wrote (duplicates kept), once all of `expected` are there or time is up.
    static func delivered(_ expected: Set<String>, files: [URL], timeout: Duration) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        var ids: [String] = []
        repeat {
            try await Task.sleep(for: .milliseconds(250))
            ids = files.flatMap { file in
                ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { line in
                    (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["messageId"] as? String
                }
            }
        } while !expected.isSubset(of: Set(ids)) && ContinuousClock.now < deadline
        return ids
    }

    /// Posts one request; nil when the connection failed.
    static func post(_ request: SignedRequest, port: Int) async -> Int? {
        var http = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/engage")
        http.method = .POST
        for (name, value) in request.headers() { http.headers.add(name: name, value: value) }
        http.body = .bytes(ByteBuffer(bytes: request.body))
        guard let response = try? await HTTPClient.shared.execute(http, timeout: .seconds(30)) else { return nil }
        _ = try? await response.body.collect(upTo: 4096)
        return Int(response.status.code)
    }

    @Test func threeReceiversLoseNothingAcknowledgedWhenOneIsKilled() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("scale-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let database = try await TestPostgres.shared.freshDatabase(prefix: "scale")
        let samples = try Fixtures.engageBodies().map(\.body)
        let requests = try await PythonSvix.sign((0..<3000).map { samples[$0 % samples.count] })

        var receivers: [RelayProcess] = []
        defer { for receiver in receivers { receiver.stop() } }
        for index in 0..<3 {
            let config = try Self.config(in: folder, name: "r\(index)", database: database)
            receivers.append(try RelayProcess(config: config, log: folder.appendingPathComponent("r\(index).log")))
        }
        var found: [Int] = []
        for receiver in receivers { found.append(try await receiver.port()) }
        let ports = found
        let tally = Tally()
        let victim = receivers[0]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<16 {
                group.addTask {
                    while case let index = tally.take(), index < requests.count {
                        // A load balancer: round robin, skipping a receiver that is down.
                        for attempt in 0..<3 {
                            let target = (index + client + attempt) % 3
                            if tally.down.withLock({ $0.contains(target) }) { continue }
                            guard let status = await Self.post(requests[index], port: ports[target]) else { continue }
                            tally.count(status)
                            if (200..<300).contains(status) {
                                tally.acknowledged.withLock { $0.append(requests[index].messageId) }
                            }
                            break
                        }
                    }
                }
            }
            group.addTask {
                while tally.acknowledgedCount < 1000 { try await Task.sleep(for: .milliseconds(5)) }
                tally.down.withLock { _ = $0.insert(0) }
                await victim.kill9()
            }
            try await group.waitForAll()
        }
        let acknowledged = Set(tally.acknowledged.withLock { $0 })
        #expect(acknowledged.count >= 2900, "most requests are acknowledged: \(acknowledged.count), \(tally.statuses.withLock { $0 })")
        let files = (0..<3).map { folder.appendingPathComponent("r\($0).jsonl") }
        let delivered = try await Self.delivered(acknowledged, files: files, timeout: .seconds(120))
        let missing = acknowledged.subtracting(delivered)
        #expect(missing.isEmpty, "\(missing.count) acknowledged deliveries never reached a sink")
        let duplicates = delivered.count - Set(delivered).count
        // Only the killed receiver's batch in flight can be delivered twice: one batch of the file sink (256), as
        // `max-in-flight 1` lets one receiver at a time hold the sink's lane.
        #expect(duplicates <= 256, "\(duplicates) duplicates; more than the killed receiver had in flight")
        let rows = try await TestPostgres.shared.psql(
            database, "SELECT count(*) FROM relay_events; SELECT count(*) FROM relay_deliveries WHERE state <> 'delivered'")
        print(
            "scale-out: \(acknowledged.count) acknowledged by 3 receivers (one killed), \(Set(delivered).count) delivered, "
                + "\(duplicates) duplicates, spool rows (events, undelivered): \(rows.split(separator: "\n"))")
        #expect(rows.split(separator: "\n").last == "0", "deliveries are left undelivered")
    }

    @Test func aStoppedDatabaseGets503AndIngestResumesAfterIt() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgstop-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A cluster of this test's own: stopping the shared one would fail every other PostgreSQL test.
        let cluster = TestPostgres(folder: "/tmp/engage-relay-pg-stop", port: 55433)
        let database = try await cluster.freshDatabase(prefix: "stop")
        defer { Task { try? await cluster.stopImmediately() } }
        let samples = try Fixtures.engageBodies().map(\.body)
        let requests = try await PythonSvix.sign((0..<900).map { samples[$0 % samples.count] })
        let config = try Self.config(in: folder, name: "r", database: database)
        let receiver = try RelayProcess(config: config, log: folder.appendingPathComponent("r.log"))
        defer { receiver.stop() }
        let port = try await receiver.port()
        let metricsPort = try await Self.metricsPort(receiver)

        let tally = Tally()
        let outage = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    // Like Svix, a refused request is sent again (here after 50 ms) until it is acknowledged.
                    while case let index = tally.take(), index < requests.count {
                        while true {
                            guard let status = await Self.post(requests[index], port: port) else {
                                tally.count(-1)
                                break
                            }
                            if tally.phase.withLock({ $0 }) == 1 { outage.count(status) }
                            tally.count(status)
                            if (200..<300).contains(status) {
                                tally.acknowledged.withLock { $0.append(requests[index].messageId) }
                                break
                            }
                            try? await Task.sleep(for: .milliseconds(50))
                        }
                    }
                }
            }
            group.addTask {
                while tally.acknowledgedCount < 300 { try await Task.sleep(for: .milliseconds(5)) }
                try await cluster.stopImmediately()
                // Answers to requests committed just before the stop may still be on their way.
                try await Task.sleep(for: .milliseconds(500))
                tally.phase.withLock { $0 = 1 }
                try await Task.sleep(for: .seconds(4))
                let ready = try await Self.readiness(metricsPort)
                #expect(ready == 503, "/readyz answers \(ready) while the database is down")
                try await Task.sleep(for: .seconds(8))
                tally.phase.withLock { $0 = 2 }
                try await cluster.start()
            }
            try await group.waitForAll()
        }
        var ready = 0
        for _ in 0..<100 where ready != 200 {
            ready = try await Self.readiness(metricsPort)
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(ready == 200, "/readyz did not recover after the restart")
        let during = outage.statuses.withLock { $0 }
        #expect(during.values.reduce(0, +) >= 20, "too few requests were answered while the database was down: \(during)")
        #expect(Set(during.keys).subtracting([503]).isEmpty, "while the database was down: \(during)")
        #expect(tally.statuses.withLock { $0[500] ?? 0 } == 0)
        let acknowledged = Set(tally.acknowledged.withLock { $0 })
        #expect(acknowledged.count == requests.count, "ingest did not resume after the restart: \(tally.statuses.withLock { $0 })")
        let delivered = try await Self.delivered(
            acknowledged, files: [folder.appendingPathComponent("r.jsonl")], timeout: .seconds(60))
        #expect(acknowledged.subtracting(delivered).isEmpty, "acknowledged events are missing after the restart")
        print("database stop: statuses during the outage \(during), overall \(tally.statuses.withLock { $0 })")
    }

    static func metricsPort(_ receiver: RelayProcess) async throws -> Int {
        try await receiver.waitForLog("operations endpoints listening")
        for line in receiver.logText.split(separator: "\n") where line.contains("operations endpoints listening") {
            if let range = line.range(of: "relay.listen=127.0.0.1:"), let port = Int(line[range.upperBound...].prefix { $0.isNumber }) {
                return port
            }
        }
        throw TestFailure("no operations port in the log")
    }

    static func readiness(_ port: Int) async throws -> Int {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz"), timeout: .seconds(10))
        _ = try? await response.body.collect(upTo: 4096)
        return Int(response.status.code)
    }
}
