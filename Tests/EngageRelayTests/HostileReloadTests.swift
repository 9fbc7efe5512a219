import Foundation
import RelayTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A reload with a bad or hostile file never stops the running receiver: each is refused with an error line, the
/// old config keeps serving, and a good file afterwards still reloads. Against `engage-relay serve`.
@Suite struct HostileReloadTests {
    static func config(_ folder: URL, route: String = "route * -> all") -> String {
        """
        listen 127.0.0.1:0
        verify { secret env:ENGAGE_SIGNING_SECRET }
        spool { path \(folder.path)/spool.db }
        sink all file { path \(folder.path)/all.jsonl }
        sink other file { path \(folder.path)/other.jsonl }
        \(route)
        """
    }

    @Test func hostileConfigFilesAreRefusedOnReloadAndTheReceiverKeepsServing() async throws {
        let folder = try OperationsTests.folder("hostile-reload")
        let config = folder.appendingPathComponent("relay.conf")
        let good = Self.config(folder)
        try good.write(to: config, atomically: true, encoding: .utf8)
        let relay = try RelayProcess(config: config, log: folder.appendingPathComponent("relay.log"))
        defer { relay.stop() }
        let port = try await relay.port()
        let body = try Fixtures.engageBody("contact.created.json")

        let hostile: [(name: String, write: () throws -> Void)] = [
            ("100,000 nested parentheses", {
                try (good + "\nroute contact.* where " + String(repeating: "(", count: 100_000) + " -> all\n")
                    .write(to: config, atomically: true, encoding: .utf8)
            }),
            ("a 4 MB line", {
                try (good + "\nroute " + String(repeating: "contact.created ", count: 250_000) + "-> all\n")
                    .write(to: config, atomically: true, encoding: .utf8)
            }),
            ("bytes that are not UTF-8", {
                try Data([0xFF, 0xFE, 0x00, 0xC3, 0x28] + Array(repeating: 0x80, count: 1000)).write(to: config)
            }),
            ("durations past what the runtime represents", {
                try good.replacingOccurrences(of: "spool {", with: "spool { retention 9223372036854775807s;")
                    .replacingOccurrences(of: "listen 127.0.0.1:0", with: "listen 127.0.0.1:0\nheader-timeout 106751991167301d")
                    .write(to: config, atomically: true, encoding: .utf8)
            }),
            ("a file past 16 MiB", {
                try Data((good + "\n# " + String(repeating: "x", count: 17 << 20) + "\n").utf8).write(to: config)
            }),
            ("a FIFO nobody writes", {
                guard mkfifo(config.path, 0o600) == 0 else { throw TestFailure("mkfifo: \(errno)") }
            }),
            ("a link to /dev/zero", {
                try FileManager.default.createSymbolicLink(atPath: config.path, withDestinationPath: "/dev/zero")
            }),
            ("a directory", {
                try FileManager.default.createDirectory(at: config, withIntermediateDirectories: false)
            }),
            ("no file at all", {}),
        ]
        for (index, file) in hostile.enumerated() {
            // Each file takes the place of the last (a directory or a FIFO included).
            try? FileManager.default.removeItem(at: config)
            try file.write()
            relay.signal(SIGHUP)
            try await relay.waitForLog("config reload failed", count: index + 1, timeout: .seconds(120))
            let request = try await PythonSvix.sign([body])[0]
            #expect(try await OperationsTests.post(request, port: port) == 204, "after \(file.name)")
            #expect(relay.process.isRunning, "after \(file.name)")
        }
        // A file with 250,000 errors logs a few of them and a count, not a line each.
        let diagnosticLines = relay.logText.components(separatedBy: "config diagnostic relay.diagnostic=").count - 1
        #expect(diagnosticLines < 200, "\(diagnosticLines) diagnostic lines logged")
        #expect(relay.logText.contains("config diagnostics not logged"))
        // Every event went to `all` under the old routing; a good file now reroutes.
        let allIds = OperationsTests.messageIds(in: folder.appendingPathComponent("all.jsonl"))
        try? FileManager.default.removeItem(at: config)
        try Self.config(folder, route: "route * -> other").write(to: config, atomically: true, encoding: .utf8)
        relay.signal(SIGHUP)
        try await relay.waitForLog("config reloaded", timeout: .seconds(120))
        let request = try await PythonSvix.sign([body])[0]
        #expect(try await OperationsTests.post(request, port: port) == 204)
        let rerouted = await OperationsTests.eventually {
            OperationsTests.messageIds(in: folder.appendingPathComponent("other.jsonl")) == [request.messageId]
        }
        #expect(rerouted)
        let delivered = await OperationsTests.eventually {
            OperationsTests.messageIds(in: folder.appendingPathComponent("all.jsonl")).count == hostile.count
        }
        #expect(delivered, "\(allIds.count) of \(hostile.count) delivered under the old config")
        #expect(await relay.terminate() == 0)
    }

    @Test func checkRefusesFilesItCannotReadAsAConfigAtOnce() async throws {
        let folder = try OperationsTests.folder("hostile-check")
        let fifo = folder.appendingPathComponent("fifo.conf")
        guard mkfifo(fifo.path, 0o600) == 0 else { throw TestFailure("mkfifo: \(errno)") }
        for path in [fifo.path, "/dev/zero", folder.path] {
            let output = try await ChildProcess.run(RelayBinary.url.path, ["check", "--config", path])
            #expect(output.status == 1, "\(path): \(output.stderrText)")
            #expect(output.stderrText.contains("cannot read `\(path)`"), "\(path): \(output.stderrText)")
        }
    }
}
