import Foundation

/// The scripted Python HTTP server in `Fixtures/http_peer.py`, on a loopback port, recording every request.
final class HTTPPeer {
    /// One request as the peer received it.
    struct Request {
        var method: String
        var path: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        /// Every value of a header (names compared case-insensitively).
        func values(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }

        /// The first value of a header.
        func header(_ name: String) -> String? { values(name).first }
    }

    let port: Int
    let logPath: String
    private let process: Process
    private let input: Pipe

    /// `http://127.0.0.1:PORT` + `path`.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Starts the peer and waits until it listens.
    init() throws {
        let script = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/http_peer.py").path
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("http-peer-\(UUID()).jsonl").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, logPath]
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line: [UInt8] = []
        while !line.contains(UInt8(ascii: "\n")) {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { throw PeerError("http_peer.py exited before listening") }
            line += data
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            throw PeerError("http_peer.py printed no port")
        }
        self.port = port
    }

    /// Stops the peer (closing its standard input ends it).
    func stop() {
        try? input.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }

    /// Every request recorded so far, in arrival order.
    func requests() throws -> [Request] { try Self.requests(at: logPath) }

    /// The requests recorded in a peer's log file.
    static func requests(at logPath: String) throws -> [Request] {
        guard FileManager.default.fileExists(atPath: logPath) else { return [] }
        let text = try String(contentsOfFile: logPath, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            guard let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let method = entry["method"] as? String, let path = entry["path"] as? String,
                let headers = entry["headers"] as? [[String]], let body = entry["body"] as? String,
                let bytes = Data(base64Encoded: body)
            else {
                throw PeerError("unreadable log line: \(line)")
            }
            return Request(method: method, path: path, headers: headers.map { ($0[0], $0[1]) }, body: Array(bytes))
        }
    }
}

/// The test peer misbehaved.
struct PeerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
