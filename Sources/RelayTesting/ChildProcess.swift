import Foundation

/// Runs a child process to completion, collecting its output.
///
/// The wait happens on a Dispatch thread, never on Swift's cooperative pool, so a receiver running in the same
/// process keeps the cooperative threads it needs to answer the child.
public enum ChildProcess {
    /// What a finished child left behind.
    public struct Output: Sendable {
        /// The exit status.
        public var status: Int32
        /// Everything written to standard output.
        public var stdout: Data
        /// Everything written to standard error.
        public var stderr: Data

        /// Standard output as UTF-8 text.
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        /// Standard error as UTF-8 text.
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

        /// Creates an output.
        public init(status: Int32, stdout: Data, stderr: Data) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// Runs `executable` (found on `PATH` by `/usr/bin/env`, or a path) with `arguments`, feeding it `stdin`, in
    /// `cwd` and with `environment` when given (else this process's), and returns once it has exited.
    public static func run(
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

/// Holds bytes filled in by another thread before `DispatchGroup.wait()` returns.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
