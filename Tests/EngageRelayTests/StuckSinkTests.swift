import Foundation
import RelayTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A sink stuck in I/O (a file sink writing into a FIFO nobody reads) holds up neither SIGTERM nor a reload past
/// `drain-timeout`, and what it was given is delivered again later. Against `engage-relay serve`.
@Suite struct StuckSinkTests {
    /// A FIFO in `folder` held open for reading by a child that never reads it, so writes block once its 64 KiB
    /// buffer is full.
    final class UnreadFIFO {
        let path: String
        let holder = Process()

        init(in folder: URL) async throws {
            path = folder.appendingPathComponent("stuck.fifo").path
            guard mkfifo(path, 0o600) == 0 else { throw TestFailure("mkfifo failed: \(errno)") }
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            holder.arguments = [
                "python3", "-c",
                "import os, sys, time\nfd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)\nprint('open', flush=True)\nsys.stdin.read()",
                path,
            ]
            let output = Pipe()
            holder.standardOutput = output
            holder.standardInput = Pipe()  // never written: the child waits on it until it is ended
            try holder.run()
            _ = output.fileHandleForReading.availableData  // "open"
        }

        deinit { holder.terminate() }
    }

    static func config(folder: URL, sinkPath: String) -> String {
        """
        listen 127.0.0.1:0
        drain-timeout 2s
        verify { secret env:ENGAGE_SIGNING_SECRET }
        spool { path \(folder.path)/spool.db; lease 2s }
        sink out file { path \(sinkPath) }
        route * -> out
        """
    }

    /// Posts `count` events (about 500 bytes each as a file line, so well past a FIFO's buffer); their ids.
    static func postEvents(_ count: Int, port: Int) async throws -> Set<String> {
        let body = try Fixtures.engageBody("contact.created.json")
        let requests = try await PythonSvix.sign(Array(repeating: body, count: count))
        for request in requests {
            #expect(try await OperationsTests.post(request, port: port) == 204)
        }
        return Set(requests.map(\.messageId))
    }

    @Test func sigtermWithASinkStuckInIOExitsAfterTheDrainTimeoutAndLosesNothing() async throws {
        let folder = try OperationsTests.folder("stuck-term")
        let fifo = try await UnreadFIFO(in: folder)
        let config = folder.appendingPathComponent("relay.conf")
        try Self.config(folder: folder, sinkPath: fifo.path).write(to: config, atomically: true, encoding: .utf8)
        let first = try RelayProcess(config: config, log: folder.appendingPathComponent("first.log"))
        defer { first.stop() }
        let ids = try await Self.postEvents(300, port: try await first.port())
        // Deliveries have filled the FIFO: the sink is blocked in write(2).
        try await Task.sleep(for: .seconds(1))
        let status = await first.terminate(timeout: .seconds(90))
        #expect(first.process.terminationReason == .exit && status == 0, "SIGTERM did not end the receiver: \(first.logText)")
        #expect(first.logText.contains("given up on at the drain deadline"), "\(first.logText)")

        // The next receiver, its sink pointed at a plain file, delivers every event again (at least once).
        let output = folder.appendingPathComponent("after.jsonl")
        try Self.config(folder: folder, sinkPath: output.path).write(to: config, atomically: true, encoding: .utf8)
        let second = try RelayProcess(config: config, log: folder.appendingPathComponent("second.log"))
        defer { second.stop() }
        _ = try await second.port()
        let delivered = await OperationsTests.eventually(timeout: .seconds(90)) {
            ids.isSubset(of: Set(OperationsTests.messageIds(in: output)))
        }
        #expect(delivered, "\(ids.subtracting(OperationsTests.messageIds(in: output)).count) of \(ids.count) events lost")
    }

    @Test func aReloadReplacingASinkStuckInIOCompletesAfterTheDrainTimeout() async throws {
        let folder = try OperationsTests.folder("stuck-reload")
        let fifo = try await UnreadFIFO(in: folder)
        let config = folder.appendingPathComponent("relay.conf")
        try Self.config(folder: folder, sinkPath: fifo.path).write(to: config, atomically: true, encoding: .utf8)
        let relay = try RelayProcess(config: config, log: folder.appendingPathComponent("relay.log"))
        defer { relay.stop() }
        let ids = try await Self.postEvents(300, port: try await relay.port())
        try await Task.sleep(for: .seconds(1))

        let output = folder.appendingPathComponent("after.jsonl")
        try OperationsTests.replaceAtomically(config, with: Self.config(folder: folder, sinkPath: output.path))
        relay.signal(SIGHUP)
        try await relay.waitForLog("config reloaded", timeout: .seconds(90))
        #expect(relay.logText.contains("given up on at the drain deadline"), "\(relay.logText)")
        let delivered = await OperationsTests.eventually(timeout: .seconds(90)) {
            ids.isSubset(of: Set(OperationsTests.messageIds(in: output)))
        }
        #expect(delivered, "\(ids.subtracting(OperationsTests.messageIds(in: output)).count) of \(ids.count) events lost")
        #expect(await relay.terminate(timeout: .seconds(90)) == 0)
    }
}
