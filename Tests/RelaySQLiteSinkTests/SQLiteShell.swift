#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// The `sqlite3` command-line tool as a second process: one-shot queries, or an interactive session that can hold a
/// read transaction open while the sink writes.
final class SQLiteShell {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered: [UInt8] = []

    /// The `sqlite3` executable, or a failure saying how to install it.
    static func executable() throws -> URL {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("sqlite3")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw Failure(description: "the sqlite3 command-line tool is missing: apt-get install -y sqlite3")
    }

    /// Runs `sql` in a separate `sqlite3 -json` process and returns its rows.
    static func rows(_ database: String, _ sql: String) throws -> [[String: Any]] {
        let text = try run(database, ["-json"], sql)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return [] }
        guard let rows = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            throw Failure(description: "sqlite3 printed no JSON rows: \(text)")
        }
        return rows
    }

    /// Runs `sql` in a separate `sqlite3` process and returns what it printed.
    static func run(_ database: String, _ flags: [String] = [], _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = flags + [database, sql]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaints = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "sqlite3 failed: \(String(decoding: complaints, as: UTF8.self))")
        }
        return String(decoding: printed, as: UTF8.self)
    }

    /// Starts an interactive `sqlite3` on `database`.
    init(database: String) throws {
        process.executableURL = try SQLiteShell.executable()
        process.arguments = ["-batch", "-noheader", database]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// Sends `sql` and returns the lines it printed, waiting at most `timeout` seconds.
    func execute(_ sql: String, timeout: Double = 10) throws -> [String] {
        let marker = "--end-\(UUID().uuidString)--"
        input.fileHandleForWriting.write(Data("\(sql)\nSELECT '\(marker)';\n".utf8))
        let deadline = Date().addingTimeInterval(timeout)
        let fd = output.fileHandleForReading.fileDescriptor
        while true {
            let text = String(decoding: buffered, as: UTF8.self)
            if let range = text.range(of: marker + "\n") {
                buffered = Array(text[range.upperBound...].utf8)
                return text[..<range.lowerBound].split(separator: "\n").map(String.init)
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw Failure(description: "sqlite3 did not answer in \(timeout)s: \(text)") }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(min(remaining, 1) * 1000)) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = read(fd, &chunk, chunk.count)
            guard count > 0 else { throw Failure(description: "sqlite3 exited: \(text)") }
            buffered += chunk[..<count]
        }
    }

    /// Ends the session.
    func quit() {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
