import EngageEvents
import Foundation

/// Files in this target's Fixtures folder and the package's own folder.
enum Fixtures {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// A fresh, empty folder under the temporary directory.
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// `point.balance.updated` events with distinct ids, alternating between tenants `t0` and `t1`.
    static func balanceEvents(count: Int) -> [EngageEvent] {
        (0..<count).map { index in
            let id = UUID().uuidString.lowercased()
            let body =
                #"{"eventType":"point.balance.updated","id":"\#(id)","isEncrypted":false,"payload":{"contactId":"c-\#(index)","balance":\#(1000 + index).25,"accountId":\#(index),"definitionId":1,"balanceExpires":"2024-12-31T23:59:59.999+01:00"},"tenant":"t\#(index % 2)"}"#
            return try! EngageEvent(
                decoding: Array(body.utf8), messageId: "msg_ledger_\(index)_\(id.prefix(8))", receivedAt: Date())
        }
    }

    /// An event of another type, for refusals.
    static func event(type: String, tenant: String? = "t0", payload: String = #"{"contactId":"c-1"}"#) -> EngageEvent {
        let tenantJSON = tenant.map { #""\#($0)""# } ?? "null"
        let body =
            #"{"eventType":"\#(type)","id":"\#(UUID())","isEncrypted":false,"payload":\#(payload),"tenant":\#(tenantJSON)}"#
        return try! EngageEvent(decoding: Array(body.utf8), messageId: "msg_\(UUID())", receivedAt: Date())
    }
}

/// Reads ledger files back: lines, and fields of lines without quoted fields.
enum Ledger {
    /// The lines of a file; fails on a torn last line.
    static func lines(_ file: URL) throws -> [String] {
        guard FileManager.default.fileExists(atPath: file.path) else { return [] }
        let text = try String(contentsOf: file, encoding: .utf8)
        guard text.isEmpty || text.hasSuffix("\n") else {
            throw TestFailure("\(file.lastPathComponent) ends in a torn line")
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Every row as a dictionary keyed by the header's column names.
    static func rows(_ file: URL) throws -> [[String: String]] {
        let lines = try lines(file)
        guard let header = lines.first else { return [] }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().map { line in
            Dictionary(
                uniqueKeysWithValues: zip(
                    names, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
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

/// Runs a child process to completion on a Dispatch thread, never on the cooperative pool, collecting its output.
enum ChildProcess {
    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

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

    private static func runBlocking(
        _ executable: String, _ arguments: [String], stdin: Data?, cwd: URL?, environment: [String: String]?
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
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: stdoutData, stderr: stderrBox.data)
    }
}

/// A request signed by the official Python `svix` package.
struct SignedRequest {
    var messageId: String
    var timestamp: Int64
    var body: Data
    var signature: String
}

enum PythonSvix {
    /// The public example secret from Svix's own test vectors.
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// Signs `body` as Svix would deliver it now.
    static func sign(_ body: Data) async throws -> SignedRequest {
        let messageId = "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let timestamp = Int64(Date().timeIntervalSince1970)
        let input: [[String: Any]] = [
            [
                "secret": secret, "msg_id": messageId, "timestamp": timestamp,
                "body": String(decoding: body, as: UTF8.self),
            ]
        ]
        let output = try await ChildProcess.run(
            "python3", [Fixtures.url("svix_sign.py").path], stdin: try JSONSerialization.data(withJSONObject: input))
        guard output.status == 0, let signatures = try? JSONSerialization.jsonObject(with: output.stdout) as? [String],
            let signature = signatures.first
        else {
            throw TestFailure("svix_sign.py failed (pip install 'svix>=2.9,<3'): \(output.stderrText)")
        }
        return SignedRequest(messageId: messageId, timestamp: timestamp, body: body, signature: signature)
    }
}

/// A `ledger-relay serve` child process whose log goes to a file, so its bound port can be read.
// Only the test task touches it, one step at a time: start, read the port, stop.
final class RelayProcess: @unchecked Sendable {
    /// The `ledger-relay` executable built beside the test bundle.
    static var binary: URL {
        var folder = Bundle.module.bundleURL.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = folder.appendingPathComponent("ledger-relay")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("ledger-relay")
    }

    let process = Process()
    let log: URL

    /// Starts `ledger-relay serve --config CONFIG` in `folder` (relative paths in the config land there).
    init(config: String, in folder: URL, environment extra: [String: String]) throws {
        log = folder.appendingPathComponent("relay.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = Self.binary
        process.arguments = ["serve", "--config", config, "--log-level", "debug"]
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The port from the start-up log line.
    func port(timeout: Duration = .seconds(60)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = logText
            if let range = text.range(of: "relay.listen=127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return port }
            }
            guard process.isRunning else { throw TestFailure("ledger-relay exited: \(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("ledger-relay did not start: \(logText)")
    }

    /// Sends SIGTERM and waits (by polling, off any blocking call) for the exit; SIGKILL after `timeout`.
    func stop(timeout: Duration = .seconds(30)) async -> Int32 {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { kill(process.processIdentifier, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }
}
