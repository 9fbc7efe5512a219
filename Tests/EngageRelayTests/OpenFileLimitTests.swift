import EngageRelay
import Foundation
import RelayServer
import RelayTesting
import Testing

/// `max-connections` is a promise only if the process may open that many sockets: `serve` raises its soft
/// `RLIMIT_NOFILE` to what the caps need, and refuses to start, saying what to change, when the hard limit is lower.
@Suite struct OpenFileLimitTests {
    static func config(_ folder: URL, maxConnections: Int? = nil) throws -> URL {
        let url = folder.appendingPathComponent("relay.conf")
        try """
            listen 127.0.0.1:0
            \(maxConnections.map { "max-connections \($0)" } ?? "")
            verify { secret env:ENGAGE_SIGNING_SECRET }
            spool { path \(folder.path)/spool.db }
            sink all file { path \(folder.path)/all.jsonl }
            route * -> all
            """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Runs `serve` under `sh -c 'ulimit …; exec relay serve …'`.
    static func serve(limit: String, config: URL, log: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(limit) && exec \"$0\" serve --config \"$1\"", RelayBinary.url.path, config.path]
        process.environment = ProcessInfo.processInfo.environment.merging(["ENGAGE_SIGNING_SECRET": testSecret]) { $1 }
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    @Test func aHardLimitBelowWhatMaxConnectionsNeedsIsAStartUpErrorThatSaysWhatToChange() async throws {
        let folder = try OperationsTests.folder("nofile-low")
        let log = folder.appendingPathComponent("serve.log")
        let process = try Self.serve(limit: "ulimit -n 500", config: try Self.config(folder), log: log)
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(process.terminationStatus == 1, "\(text)")
        #expect(text.contains("error: max-connections 1024 needs up to 1344 open files, but this process may open at most 500"), "\(text)")
        #expect(text.contains("lower max-connections to 180"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("spool.db").path), "nothing opened")
    }

    @Test func aSoftLimitBelowWhatMaxConnectionsNeedsIsRaisedTowardTheHardOne() async throws {
        let folder = try OperationsTests.folder("nofile-soft")
        let log = folder.appendingPathComponent("serve.log")
        let process = try Self.serve(limit: "ulimit -Sn 300", config: try Self.config(folder, maxConnections: 500), log: log)
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let relay = log
        let started = await OperationsTests.eventually {
            ((try? String(contentsOf: relay, encoding: .utf8)) ?? "").contains("engage-relay listening") || !process.isRunning
        }
        #expect(started && process.isRunning, "\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        let limits = try String(contentsOfFile: "/proc/\(process.processIdentifier)/limits", encoding: .utf8)
        let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        let soft = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first
        #expect(soft == "\(OpenFileBudget.needed(maxConnections: 500, operationsConnections: RelayServer.operationsConnectionLimit))", "\(line)")
    }

    @Test func theSystemdUnitAllowsTheDefaultMaxConnections() throws {
        let unit = try String(
            contentsOf: Fixtures.repository.appendingPathComponent("examples/engage-relay.service"), encoding: .utf8)
        let value = unit.split(separator: "\n").first { $0.hasPrefix("LimitNOFILE=") }?.dropFirst("LimitNOFILE=".count)
        let limit = try #require(value.flatMap { Int($0) }, "the unit sets no numeric LimitNOFILE")
        #expect(limit >= OpenFileBudget.needed(maxConnections: 1024, operationsConnections: RelayServer.operationsConnectionLimit))
    }
}
