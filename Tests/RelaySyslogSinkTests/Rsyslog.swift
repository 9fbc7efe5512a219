#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import RelayTesting

/// A real rsyslog daemon run by a test: `rsyslogd -n -iNONE -f CONF` listening on free loopback UDP and TCP ports and
/// a unix datagram socket, writing every raw message received as one line of a file.
final class Rsyslog: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let folder: URL
    let udpPort: Int
    let tcpPort: Int
    var socketPath: String { folder.appendingPathComponent("log.sock").path }
    var outputPath: String { folder.appendingPathComponent("received.log").path }
    private var process: Process?

    /// `rsyslogd`, installed with apt-get when missing and the test runs as root.
    static let executable: Result<String, Failure> = {
        let path = "/usr/sbin/rsyslogd"
        if FileManager.default.isExecutableFile(atPath: path) { return .success(path) }
        guard getuid() == 0 else {
            return .failure(Failure(description: "rsyslogd is missing: run `apt-get install -y rsyslog` as root"))
        }
        let install = Process()
        install.executableURL = URL(fileURLWithPath: "/bin/sh")
        install.arguments = ["-c", "apt-get install -y rsyslog || (apt-get update && apt-get install -y rsyslog)"]
        install.standardOutput = FileHandle.nullDevice
        install.standardError = FileHandle.nullDevice
        try? install.run()
        install.waitUntilExit()
        return FileManager.default.isExecutableFile(atPath: path)
            ? .success(path)
            : .failure(Failure(description: "rsyslogd is missing and `apt-get install -y rsyslog` failed"))
    }()

    /// Prepares a configuration on free ports; nothing runs until ``start()``.
    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rsyslog-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        udpPort = try LoopbackPort.free(stream: false)
        tcpPort = try LoopbackPort.free(stream: true)
        let configuration = """
            global(workDirectory="\(folder.path)" maxMessageSize="64k")
            module(load="imudp")
            module(load="imtcp")
            module(load="imuxsock" SysSock.Use="off")
            template(name="raw" type="string" string="%rawmsg%\\n")
            input(type="imudp" address="127.0.0.1" port="\(udpPort)")
            input(type="imtcp" address="127.0.0.1" port="\(tcpPort)")
            input(type="imuxsock" Socket="\(socketPath)")
            *.* action(type="omfile" file="\(outputPath)" template="raw")

            """
        try configuration.write(to: folder.appendingPathComponent("rsyslog.conf"), atomically: true, encoding: .utf8)
    }

    /// Starts the daemon and waits (at most 10 s) until its TCP port accepts connections.
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Rsyslog.executable.get())
        process.arguments = ["-n", "-iNONE", "-f", folder.appendingPathComponent("rsyslog.conf").path]
        let log = folder.appendingPathComponent("rsyslogd.out")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard process.isRunning else { break }
            if LoopbackPort.accepts(tcpPort) && FileManager.default.fileExists(atPath: socketPath) { return }
            usleep(50_000)
        }
        let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        stop()
        throw Failure(description: "rsyslogd did not start listening within 10 s: \(said)")
    }

    /// Kills the daemon, as a crash would (its graceful shutdown takes seconds), and waits for it to exit; tests read
    /// only messages already written to the output file.
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
        try? FileManager.default.removeItem(atPath: socketPath)
    }

    /// Stops the daemon and removes its folder.
    func tearDown() {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// The raw messages received so far, one per line.
    func lines() -> [Substring] {
        guard let data = FileManager.default.contents(atPath: outputPath) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n")
    }

    /// Waits (at most `timeout` seconds) until at least `count` messages have arrived and returns them all.
    func waitForLines(_ count: Int, timeout: Double = 10) throws -> [Substring] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let lines = lines()
            if lines.count >= count { return lines }
            guard Date() < deadline else {
                throw Failure(description: "rsyslog received \(lines.count) of \(count) messages: \(lines)")
            }
            usleep(50_000)
        }
    }

    /// The raw bytes of the output file.
    func rawOutput() -> [UInt8] { FileManager.default.contents(atPath: outputPath).map { Array($0) } ?? [] }
}
