import Foundation

/// A relay binary's `serve` running as a child process, its output going to a log file, so that tests can read the
/// port it bound and the lines it logged.
///
/// Waiting for the child to exit happens off Swift's cooperative pool (``waitForExit()``, ``kill9()``) or by
/// polling (``terminate(timeout:)``); only ``stop()``, meant for `defer`, blocks. Unchecked `Sendable`: only the
/// test task and its children touch it, one step at a time (start, read the port, signal, stop).
public final class RelayProcess: @unchecked Sendable {
    /// The child.
    public let process = Process()
    /// Where its standard output and standard error go.
    public let log: URL

    /// Starts `EXECUTABLE serve --config CONFIG ARGUMENTS…` in `folder` (this process's directory when `nil`), with
    /// this process's environment plus `environment`, writing its output to `log`.
    public init(
        executable: URL, config: String, arguments: [String] = ["--log-level", "info"], in folder: URL? = nil,
        environment: [String: String] = [:], log: URL
    ) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = executable
        process.arguments = ["serve", "--config", config] + arguments
        if let folder { process.currentDirectoryURL = folder }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// The log so far.
    public var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The port from the start-up line (`engage-relay listening … relay.listen=HOST:PORT`, text or JSON); fails
    /// when the child exits first or `timeout` passes.
    public func port(timeout: Duration = .seconds(120)) async throws -> Int {
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

    /// Waits until the log contains `text` `count` times; fails after `timeout`.
    public func waitForLog(_ text: String, count: Int = 1, timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if logText.components(separatedBy: text).count - 1 >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("`\(text)` not logged \(count) time(s) within \(timeout): \(logText)")
    }

    /// Sends signal `number` (SIGHUP, SIGTERM, …).
    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Sends SIGKILL and waits for the exit.
    public func kill9() async {
        kill(process.processIdentifier, SIGKILL)
        await waitForExit()
    }

    /// Waits for the exit on a Dispatch thread, off the cooperative pool.
    public func waitForExit() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.process.waitUntilExit()
                continuation.resume()
            }
        }
    }

    /// Sends SIGTERM and waits, by polling, for the exit; SIGKILL after `timeout`. Returns the exit status.
    public func terminate(timeout: Duration = .seconds(30)) async -> Int32 {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { kill(process.processIdentifier, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    /// Sends SIGTERM if the child still runs and blocks until it has exited: for `defer`, once a test is done.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
