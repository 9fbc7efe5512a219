import EngageEvents
import AsyncHTTPClient
import EngageRelay
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RelayTesting

/// Files in this target's Fixtures folder (configs, golden outputs, Python test peers) and the sample bodies in
/// `examples/events/` (one Engage body per event type).
enum Fixtures {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let events = repository.appendingPathComponent("examples/events")

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// Every sample Engage body, by file name.
    static func engageBodies() throws -> [(name: String, body: [UInt8])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: events.path)
            .filter { $0.hasSuffix(".json") && $0 != "INDEX.json" }.sorted()
        return try names.map { ($0, Array(try Data(contentsOf: events.appendingPathComponent($0)))) }
    }

    /// One sample body.
    static func engageBody(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: events.appendingPathComponent(name)))
    }
}

/// The svix-canonical test secret from the official Svix vectors.
let testSecret = PythonSvix.testSecret

/// The `engage-relay` executable built beside the test bundle.
enum RelayBinary {
    static var url: URL { BuiltProducts.executable(named: "engage-relay") }
}

/// A receiver running in this process on a loopback port, with its logs captured at trace level.
struct RunningRelay {
    let port: Int
    /// The operations listener's port (`/metrics`, `/readyz`).
    let operationsPort: Int
    let path: String
    let folder: URL
    let logs: CapturedLogs
    let runtime: RelayRuntime

    var url: String { "http://127.0.0.1:\(port)\(path)" }

    /// Writes `config` into a fresh folder (paths in it are relative to that folder), runs a receiver and calls `body`.
    static func with(
        config: String, environment: [String: String] = ["ENGAGE_SIGNING_SECRET": testSecret],
        registry: SinkRegistry = .builtIn, clock: RelayClock = .system, _ body: (RunningRelay) async throws -> Void
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let withSpool = config.contains("spool {") ? config : config + "\nspool { path $DIR/spool.db }\n"
        let configText = withSpool.replacingOccurrences(of: "$DIR", with: folder.path)
        let configURL = folder.appendingPathComponent("relay.conf")
        try configText.write(to: configURL, atomically: true, encoding: .utf8)
        let loaded = try RelayPlan.load(path: configURL.path, registry: registry, environment: environment)
        guard let plan = loaded.plan else {
            throw TestFailure(DiagnosticFormatter.format(loaded.diagnostics, source: loaded.source, summary: true))
        }
        let logs = CapturedLogs()
        let runtime = try await RelayRuntime(
            plan: plan, logger: logs.logger(label: "engage-relay"), registry: registry, environment: environment,
            clock: clock)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let (operationsPorts, operationsContinuation) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await runtime.run(
                    shutdownSignals: [], onListening: { address in continuation.yield(address.port) },
                    onMetricsListening: { address in operationsContinuation.yield(address.port) })
            }
            var iterator = ports.makeAsyncIterator()
            var operationsIterator = operationsPorts.makeAsyncIterator()
            guard let port = await iterator.next(), let operationsPort = await operationsIterator.next() else {
                throw TestFailure("the receiver did not start")
            }
            try await body(
                RunningRelay(
                    port: port, operationsPort: operationsPort, path: plan.path, folder: folder, logs: logs,
                    runtime: runtime))
            group.cancelAll()
        }
    }

    /// POSTs a body with headers; returns the status and response body text.
    func post(
        _ body: [UInt8], headers: [(String, String)], path: String? = nil, method: HTTPMethod = .POST
    ) async throws -> (status: Int, body: String, headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path ?? self.path)")
        request.method = method
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if method == .POST || method == .PUT { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let reply = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: reply), response.headers)
    }

    var configPath: String { folder.appendingPathComponent("relay.conf").path }
    var spoolPath: String { folder.appendingPathComponent("spool.db").path }

    /// Waits until the file sink's output has at least `count` lines (delivery is asynchronous), then returns them.
    func waitForLines(_ file: String, count: Int, timeout: Duration = .seconds(20)) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let lines = try self.lines(file)
            if lines.count >= count || ContinuousClock.now >= deadline { return lines }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits until `condition` holds or the timeout passes; returns whether it held.
    func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    /// The JSON objects written to a file sink's output (relative to the config folder).
    func lines(_ file: String) throws -> [[String: Any]] {
        let url = folder.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let text = try String(contentsOf: url, encoding: .utf8)
        guard text.isEmpty || text.hasSuffix("\n") else { throw TestFailure("\(file) ends with a torn line") }
        return try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            guard let object = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
                throw TestFailure("a line of \(file) is not a JSON object")
            }
            return object
        }
    }
}

extension RelayProcess {
    /// `engage-relay serve --config CONFIG`, with the test secret in `ENGAGE_SIGNING_SECRET`, logging to `log`.
    convenience init(
        config: URL, log: URL, arguments: [String] = ["--log-level", "info"], environment extra: [String: String] = [:]
    ) throws {
        try self.init(
            executable: RelayBinary.url, config: config.path, arguments: arguments,
            environment: ["ENGAGE_SIGNING_SECRET": testSecret].merging(extra) { _, new in new }, log: log)
    }
}
