import EngageRelay
import Foundation
import RelayTesting
import Testing

/// One config, all five built-in sink kinds, the signed samples routed through them at once.
@Suite struct AllSinksEndToEndTests {
    @Test func theSamplesReachFileHTTPSQLiteExecAndSyslog() async throws {
        let outputs = FileManager.default.temporaryDirectory.appendingPathComponent("peers-\(UUID())")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        let peers = Process()
        peers.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        peers.arguments = ["python3", Fixtures.url("peers.py").path, outputs.path]
        let pipe = Pipe()
        peers.standardOutput = pipe
        try peers.run()
        defer { peers.terminate() }
        let ports = String(decoding: pipe.fileHandleForReading.availableDataLine(), as: UTF8.self)
            .split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(ports.count == 2)

        let samples = try Fixtures.engageBodies()
        let requests = try await PythonSvix.sign(samples.map(\.body))
        let config = """
            listen 127.0.0.1:0
            verify { secret env:ENGAGE_SIGNING_SECRET }
            sink lines  file   { path $DIR/lines.jsonl; rotate 1MiB; keep 3 }
            sink erp    http   { url http://127.0.0.1:\(ports[0])/engage; timeout 5s }
            sink audit  sqlite { path $DIR/audit.db; column balance payload.balance numeric }
            sink hook   exec   { command /bin/sh -c "cat >> \(outputs.path)/exec.out; echo >> \(outputs.path)/exec.out"; timeout 10s }
            sink ops    syslog { address udp://127.0.0.1:\(ports[1]); facility local0 }
            route *                      -> lines, audit, ops
            route point.balance.updated  -> erp
            route contact.*              -> hook
            """
        try await RunningRelay.with(config: config) { relay in
            for request in requests {
                #expect(try await relay.post(request.body, headers: request.headers()).status == 204)
            }
            let contacts = samples.filter { $0.name.hasPrefix("contact.") }.count
            #expect(try await relay.waitForLines("lines.jsonl", count: samples.count).count == samples.count)
            let ok = await relay.eventually {
                let http = (try? String(contentsOf: outputs.appendingPathComponent("http.jsonl"), encoding: .utf8)) ?? ""
                let exec = (try? String(contentsOf: outputs.appendingPathComponent("exec.out"), encoding: .utf8)) ?? ""
                let syslog = (try? String(contentsOf: outputs.appendingPathComponent("syslog.log"), encoding: .utf8)) ?? ""
                return http.split(separator: "\n").count == 2 && exec.split(separator: "\n").count == contacts
                    && syslog.split(separator: "\n").count == samples.count
            }
            #expect(ok, "http, exec and syslog peers received every routed event")
            let http = try String(contentsOf: outputs.appendingPathComponent("http.jsonl"), encoding: .utf8)
            #expect(http.contains("\"point.balance.updated\"") && !http.contains("contact.created"))
            let syslog = try String(contentsOf: outputs.appendingPathComponent("syslog.log"), encoding: .utf8)
            #expect(syslog.hasPrefix("<13") || syslog.hasPrefix("<134>1 "), "\(syslog.prefix(40))")
            #expect(syslog.contains(" contact.created "))
            let rows = try await ChildProcess.run(
                "sqlite3", [relay.folder.appendingPathComponent("audit.db").path, "SELECT count(*), max(balance) FROM engage_events"])
            #expect(rows.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "\(samples.count)|2500.75")
        }
    }
}

extension FileHandle {
    /// Reads up to the first newline.
    func availableDataLine() -> Data {
        var bytes = Data()
        while let byte = try? read(upToCount: 1), let first = byte.first, first != UInt8(ascii: "\n") { bytes.append(first) }
        return bytes
    }
}
