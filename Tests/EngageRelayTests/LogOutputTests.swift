import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayTesting
import Testing

/// Logging never takes the receiver down or holds it up: a log reader that stalls, goes away or sits on a full disk
/// costs log lines, not deliveries; and no logged value can start a line of its own. Each against `engage-relay serve`.
@Suite struct LogOutputTests {
    /// A receiver whose standard error is `standardError` (its standard output goes nowhere).
    struct Child {
        let process = Process()
        let folder: URL

        init(config: String, folder: URL, standardError: Any, arguments: [String] = ["--log-level", "debug"]) throws {
            self.folder = folder
            let configURL = folder.appendingPathComponent("relay.conf")
            try config.replacingOccurrences(of: "$DIR", with: folder.path)
                .write(to: configURL, atomically: true, encoding: .utf8)
            process.executableURL = RelayBinary.url
            process.arguments = ["serve", "--config", configURL.path] + arguments
            process.environment = ProcessInfo.processInfo.environment.merging(["ENGAGE_SIGNING_SECRET": testSecret]) {
                _, new in new
            }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = standardError
            try process.run()
        }

        /// Sends SIGTERM and waits (off the cooperative pool) for the exit; its status, or nil for a signal.
        func terminate() async -> Int32? {
            process.terminate()
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    process.waitUntilExit()
                    continuation.resume()
                }
            }
            return process.terminationReason == .exit ? process.terminationStatus : nil
        }
    }

    static let config = """
        listen 127.0.0.1:0
        verify { secret env:ENGAGE_SIGNING_SECRET }
        spool { path $DIR/spool.db }
        sink all file { path $DIR/all.jsonl }
        route * -> all
        """

    /// Reads `pipe` until both start-up lines are in; returns the ingest and operations ports.
    static func readPorts(_ pipe: Pipe) async throws -> (ingest: Int, operations: Int) {
        let text = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            DispatchQueue.global().async {
                var text = ""
                while !(text.contains("engage-relay listening") && text.contains("operations endpoints listening")) {
                    let data = pipe.fileHandleForReading.availableData
                    if data.isEmpty { break }
                    text += String(decoding: data, as: UTF8.self)
                }
                continuation.resume(returning: text)
            }
        }
        func port(on marker: String) throws -> Int {
            let line = text.split(separator: "\n").first { $0.contains(marker) } ?? ""
            let address = line.split(separator: " ").first { $0.hasPrefix("relay.listen=") } ?? ""
            guard let port = Int(address.split(separator: ":").last ?? "") else {
                throw TestFailure("no port in the start-up log: \(text)")
            }
            return port
        }
        return (try port(on: "engage-relay listening"), try port(on: "operations endpoints listening"))
    }

    static func post(_ request: SignedRequest, port: Int) async throws -> Int {
        try await OperationsTests.post(request, port: port)
    }

    static func deliveredLines(_ folder: URL) -> Int {
        OperationsTests.messageIds(in: folder.appendingPathComponent("all.jsonl")).count
    }

    @Test func aLogReaderThatStopsReadingHoldsUpNoDelivery() async throws {
        let folder = try OperationsTests.folder("log-stalled")
        let pipe = Pipe()
        let child = try Child(config: Self.config, folder: folder, standardError: pipe)
        let (port, operations) = try await Self.readPorts(pipe)
        // Nothing reads the pipe from here on: after its 64 KiB buffer fills, every log write would block. At debug
        // level each delivery logs two lines, so 400 deliveries write well past that.
        let body = try Fixtures.engageBody("contact.created.json")
        let requests = try await PythonSvix.sign(Array(repeating: body, count: 400))
        for request in requests {
            #expect(try await Self.post(request, port: port) == 204)
        }
        let delivered = await OperationsTests.eventually(timeout: .seconds(60)) {
            Self.deliveredLines(folder) == requests.count
        }
        #expect(delivered, "\(Self.deliveredLines(folder)) of \(requests.count) delivered")
        #expect(try await OperationsTests.get("/healthz", port: operations).status == 200)
        // Read again, so the queued lines can go out and the exit is not held by the 2 s flush limit.
        let drained = Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }
        #expect(await child.terminate() == 0)
        let rest = String(decoding: await drained.value, as: UTF8.self)
        #expect(rest.contains("engage-relay stopped"))
    }

    @Test func aLogReaderThatWentAwayCostsLogLinesNotTheProcess() async throws {
        let folder = try OperationsTests.folder("log-epipe")
        let pipe = Pipe()
        let child = try Child(config: Self.config, folder: folder, standardError: pipe)
        let (port, _) = try await Self.readPorts(pipe)
        // Every later log write fails with EPIPE (and would raise SIGPIPE).
        try pipe.fileHandleForReading.close()
        let body = try Fixtures.engageBody("contact.created.json")
        let requests = try await PythonSvix.sign(Array(repeating: body, count: 20))
        for request in requests {
            #expect(try await Self.post(request, port: port) == 204)
        }
        let delivered = await OperationsTests.eventually { Self.deliveredLines(folder) == requests.count }
        #expect(delivered)
        #expect(child.process.isRunning)
        #expect(await child.terminate() == 0, "the receiver ended by a signal or an error, not a clean drain")
    }

    @Test func aFullDiskUnderTheLogCostsLogLinesNotTheProcess() async throws {
        let folder = try OperationsTests.folder("log-enospc")
        let port = try LoopbackPort.free()
        let operations = try LoopbackPort.free()
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"), "/dev/full is missing")
        let child = try Child(
            config: Self.config.replacingOccurrences(of: "listen 127.0.0.1:0", with: """
                listen 127.0.0.1:\(port)
                metrics-listen 127.0.0.1:\(operations)
                """),
            folder: folder, standardError: full)
        let started = await OperationsTests.eventually { LoopbackPort.accepts(port) || !child.process.isRunning }
        #expect(started && child.process.isRunning, "the receiver did not start with its log on a full device")
        let body = try Fixtures.engageBody("contact.created.json")
        let requests = try await PythonSvix.sign(Array(repeating: body, count: 20))
        for request in requests {
            #expect(try await Self.post(request, port: port) == 204)
        }
        let delivered = await OperationsTests.eventually { Self.deliveredLines(folder) == requests.count }
        #expect(delivered)
        #expect(await child.terminate() == 0)
    }

    @Test func lineBreaksInALoggedValueStayInsideOneLogLine() async throws {
        let folder = try OperationsTests.folder("log-injection")
        let log = folder.appendingPathComponent("relay.log")
        let config = folder.appendingPathComponent("relay.conf")
        try Self.config.replacingOccurrences(of: "$DIR", with: folder.path)
            .write(to: config, atomically: true, encoding: .utf8)
        let relay = try RelayProcess(config: config, log: log, arguments: ["--log-level", "debug"])
        defer { relay.stop() }
        let port = try await relay.port()
        // The event id is logged with the event; this one carries a line that looks like a log line of its own.
        let text = String(decoding: try Fixtures.engageBody("contact.created.json"), as: UTF8.self)
            .replacingOccurrences(
                of: #""id":"e2a9c3f0-5b6d-4e7f-8a9b-0c1d2e3f4a5b""#,
                with: #""id":"e1\r\n2026-01-01T00:00:00.000Z critical engage-relay: FORGED\u0007""#)
        let request = try await PythonSvix.sign([Array(text.utf8)])[0]
        #expect(try await Self.post(request, port: port) == 204)
        try await relay.waitForLog("event stored")
        let lines = relay.logText.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let forged = lines.filter { $0.contains("FORGED") }
        #expect(!forged.isEmpty && forged.allSatisfy { !$0.hasPrefix("2026-01-01") }, "\(forged)")
        #expect(
            forged.contains { $0.contains(#"relay.event.id=e1\r\n2026-01-01T00:00:00.000Z critical engage-relay: FORGED\u{7}"#) },
            "\(forged)")
        let unstamped = lines.filter { $0.range(of: #"^\d{4}-\d\d-\d\dT"#, options: .regularExpression) == nil }
        #expect(unstamped.isEmpty, "lines that do not start with a timestamp: \(unstamped)")
    }
}
