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
let testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/// A request signed by the official Python `svix` library.
struct SignedRequest {
    var messageId: String
    var timestamp: Int64
    var body: [UInt8]
    var signature: String

    func headers(style: String = "svix") -> [(String, String)] {
        [("\(style)-id", messageId), ("\(style)-timestamp", String(timestamp)), ("\(style)-signature", signature)]
    }
}

enum PythonSvix {
    /// Signs bodies with the official `svix` package in one Python process.
    static func sign(
        _ bodies: [[UInt8]], secret: String = testSecret, timestamp: Int64 = Int64(Date().timeIntervalSince1970)
    ) async throws -> [SignedRequest] {
        let requests = bodies.map { body in
            (id: "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: ""), body: body)
        }
        let input: [[String: Any]] = requests.map {
            ["secret": secret, "msg_id": $0.id, "timestamp": timestamp, "body": String(decoding: $0.body, as: UTF8.self)]
        }
        let output = try await ChildProcess.run(
            "python3", [Fixtures.url("svix_sign.py").path], stdin: try JSONSerialization.data(withJSONObject: input))
        guard output.status == 0, let signatures = try JSONSerialization.jsonObject(with: output.stdout) as? [String],
            signatures.count == bodies.count
        else {
            throw TestFailure("svix_sign.py failed (is `svix` installed? scripts/test installs it): \(output.stderrText)")
        }
        return zip(requests, signatures).map {
            SignedRequest(messageId: $0.0.id, timestamp: timestamp, body: $0.0.body, signature: $0.1)
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Holds bytes filled in by another thread before `DispatchGroup.wait()` returns.
final class DataBox: @unchecked Sendable {
    var data = Data()
}

/// Runs a child process to completion, collecting its output.
enum ChildProcess {
    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Like ``run(_:_:stdin:cwd:environment:)`` but waits on a Dispatch thread, so an in-process receiver keeps the
    /// cooperative threads it needs to answer the child.
    static func run(
        _ executable: String, _ arguments: [String], stdin: Data? = nil, cwd: URL? = nil,
        environment: [String: String]? = nil
    ) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        try runBlocking(executable, arguments, stdin: stdin, cwd: cwd, environment: environment)
                    })
            }
        }
    }

    static func runBlocking(
        _ executable: String, _ arguments: [String], stdin: Data? = nil, cwd: URL? = nil,
        environment: [String: String]? = nil
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        if let cwd { process.currentDirectoryURL = cwd }
        if let environment { process.environment = environment }
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Feed stdin and drain stderr on their own threads so a child that fills one pipe never blocks the other.
        let writer = input.fileHandleForWriting
        let pending = DispatchGroup()
        DispatchQueue.global().async(group: pending) {
            if let stdin { writer.write(stdin) }
            try? writer.close()
        }
        let stderrBox = DataBox()
        let errorReader = errors.fileHandleForReading
        DispatchQueue.global().async(group: pending) { stderrBox.data = errorReader.readDataToEndOfFile() }
        let stdoutData = output.fileHandleForReading.readDataToEndOfFile()
        pending.wait()
        let stderrData = stderrBox.data
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: stdoutData, stderr: stderrData)
    }
}

/// The `engage-relay` executable built beside the test bundle.
enum RelayBinary {
    static var url: URL {
        var folder = Bundle.module.bundleURL.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = folder.appendingPathComponent("engage-relay")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("engage-relay")
    }
}

/// A receiver running in this process on a loopback port, with its logs captured at trace level.
struct RunningRelay {
    let port: Int
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
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await runtime.run(shutdownSignals: []) { address in continuation.yield(address.port) }
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestFailure("the receiver did not start") }
            try await body(RunningRelay(port: port, path: plan.path, folder: folder, logs: logs, runtime: runtime))
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

/// A `serve` child process whose log goes to a file, so its bound port and log lines can be read.
// Only the test task and its children touch it, one at a time: start, read the port, signal, stop.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let log: URL

    init(config: URL, log: URL, arguments: [String] = ["--log-level", "info"], environment extra: [String: String] = [:]) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = RelayBinary.url
        process.arguments = ["serve", "--config", config.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ENGAGE_SIGNING_SECRET"] = testSecret
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let handle = try FileHandle(forWritingTo: log)
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
    }

    /// The log so far.
    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The port from the start-up line (`engage-relay listening … relay.listen=HOST:PORT`, text or JSON).
    func port(timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            for line in logText.split(separator: "\n") where line.contains("engage-relay listening") {
                for marker in ["relay.listen=", #""relay.listen":""#] {
                    guard let range = line.range(of: marker) else { continue }
                    let address = line[range.upperBound...].prefix { $0 != " " && $0 != "\"" }
                    if let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) {
                        return port
                    }
                }
            }
            guard process.isRunning else { throw TestFailure("server exited: \(logText)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("server did not start: \(logText)")
    }

    /// Waits until the log contains `text` `count` times.
    func waitForLog(_ text: String, count: Int = 1, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if logText.components(separatedBy: text).count - 1 >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("`\(text)` not logged \(count) time(s) within \(timeout): \(logText)")
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Waits for exit off the cooperative pool.
    func waitForExit() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.process.waitUntilExit()
                continuation.resume()
            }
        }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
