#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EngageEvents
import Foundation
import RelayCore
import Synchronization

/// Appends one JSON object per event to a file: whole lines only, flushed to disk before a delivery counts.
public final class FileSink: Sink {
    /// Registered as `file`.
    public static let kind = "file"
    /// One line for listings.
    public static let summary = "append one JSON line per event to a file"
    /// The options of a `file` block.
    public static let options: [SinkOption] = [
        SinkOption("path", .path, required: true, doc: "file to append to; parent folders are created"),
    ]

    /// Up to 64 events per write and `fsync`.
    public static let defaultBatchSize = 64

    private let path: String
    private let descriptor: Mutex<Int32>

    /// Opens (creating if needed) the file named by `path`.
    public init(configuration: SinkConfiguration, context: SinkContext) throws {
        guard let path = configuration.options.text("path") else { throw SinkError("the file sink needs `path`") }
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw SinkError("sink `\(configuration.name)`: cannot create folder `\(folder)`: \(error.localizedDescription)")
            }
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw SinkError(
                "sink `\(configuration.name)`: cannot open `\(path)` for appending: \(String(cString: strerror(errno)))")
        }
        self.descriptor = Mutex(fd)
    }

    deinit {
        descriptor.withLock { fd in closeDescriptor(fd) }
    }

    /// Appends every event of the batch with one write and one `fsync`.
    public func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(batch.reduce(0) { $0 + $1.body.count + 256 })
        for event in batch { FileSink.appendLine(for: event, to: &bytes) }
        try descriptor.withLock { fd in try FileSink.appendWhole(bytes, to: fd, path: path) }
        return Array(repeating: .delivered, count: batch.count)
    }

    /// Closes the file.
    public func close() async throws {
        descriptor.withLock { fd in
            closeDescriptor(fd)
            fd = -1
        }
    }

    /// Writes all bytes at the end of the file and syncs; on failure cuts the file back so no torn line remains.
    static func appendWhole(_ bytes: [UInt8], to fd: Int32, path: String) throws {
        guard fd >= 0 else { throw SinkError("file `\(path)` is closed") }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw SinkError("cannot stat `\(path)`: \(String(cString: strerror(errno)))") }
        let originalSize = status.st_size
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                _ = ftruncate(fd, originalSize)
                throw SinkError("cannot write to `\(path)`: \(reason)")
            }
            written += result
        }
        guard fsync(fd) == 0 else { throw SinkError("cannot sync `\(path)`: \(String(cString: strerror(errno)))") }
    }

    /// The line for one event: `{"id":…,"messageId":…,"type":…,"tenant":…,"receivedAt":…,"body":<original JSON>}`.
    static func appendLine(for event: EngageEvent, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: #"{"id":"#.utf8)
        appendJSONString(event.id, to: &bytes)
        bytes.append(contentsOf: #","messageId":"#.utf8)
        appendJSONString(event.messageId, to: &bytes)
        bytes.append(contentsOf: #","type":"#.utf8)
        appendJSONString(event.type.rawValue, to: &bytes)
        bytes.append(contentsOf: #","tenant":"#.utf8)
        if let tenant = event.tenant { appendJSONString(tenant, to: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
        bytes.append(contentsOf: #","receivedAt":"#.utf8)
        appendJSONString(event.receivedAt.formatted(timestampStyle), to: &bytes)
        bytes.append(contentsOf: #","body":"#.utf8)
        // Raw newlines can only be whitespace between JSON tokens, so blanking them keeps the body's meaning intact
        // while guaranteeing one event per line.
        for byte in event.body {
            bytes.append(byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") ? UInt8(ascii: " ") : byte)
        }
        bytes.append(contentsOf: "}\n".utf8)
    }

    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func appendJSONString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

private func closeDescriptor(_ fd: Int32) {
    if fd >= 0 { _ = close(fd) }
}
