#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import EngageEvents
import Foundation
import RelayConfig
import RelayCore
import Synchronization

/// Appends one JSON object per event to a file: whole lines only, flushed to disk before a delivery counts.
///
/// With `rotate`, the file is renamed aside and a new one started, only ever between batches, so every file holds
/// whole lines; `keep` deletes the oldest rotated files. For an external logrotate, the server calls ``reopen()`` on
/// SIGHUP and the sink reopens its path between batches.
public final class FileSink: Sink {
    /// Registered as `file`.
    public static let kind = "file"
    /// One line for listings.
    public static let summary = "append one JSON line per event to a file"
    /// The options of a `file` block, as typed keys.
    enum Key {
        static let path = SinkOptionKey.path("path", required: true, doc: "file to append to; parent folders are created")
        static let rotate = SinkOptionKey.repeatedWords(
            "rotate",
            doc: "start a new file before a batch would pass a size (100MiB) and/or on a new UTC day (daily); "
                + "the old file becomes NAME.YYYYMMDD-HHMMSS[-N].EXT",
            check: { value in
                guard case .words(let words) = value else { return nil }
                for word in words where word != "daily" {
                    guard let bytes = ConfigValue.byteSize(word), bytes > 0 else {
                        return "takes a size such as 100MiB (at most 1024TiB) and/or `daily`, not `\(word)`"
                    }
                }
                return nil
            })
        static let keep = SinkOptionKey.integer(
            "keep", 1...10_000, doc: "keep at most N rotated files, deleting the oldest (default: all)")
        static let fsync = SinkOptionKey.choice(
            "fsync", of: SyncMode.self, default: .batch,
            doc: "sync after every event, once per batch, or never (never: a power loss can lose delivered lines)")
        static let mode = SinkOptionKey.string(
            "mode", default: "0640", doc: "octal permissions of files the sink creates; existing files keep theirs",
            check: { value in
                guard case .text(let text) = value else { return nil }
                guard let bits = Settings.permissionBits(text) else {
                    return "must be octal permission bits such as 0640 or 0600"
                }
                return bits & 0o200 == 0
                    ? "leaves the sink unable to append to its own file after a restart; give the owner "
                        + "write permission, such as 0640" : nil
            })
    }

    /// The options of a `file` block.
    public static let options: [SinkOption] = [
        Key.path.option, Key.rotate.option, Key.keep.option, Key.fsync.option, Key.mode.option,
    ]

    /// Up to 256 events per write and `fsync`: under a busy disk an `fsync` can take tens of milliseconds, so batches
    /// must be large for the sink to keep up with ingest.
    public static let defaultBatchSize = 256

    /// Lines hold the exact body; only a decrypted payload, parsed when it was decrypted, is read.
    public var readsPayload: Bool { false }

    /// The open file, guarded so that one batch at a time writes, rotates or reopens.
    struct Handle {
        /// The descriptor, or -1 when `path` must be opened before the next write.
        var fd: Int32 = -1
        /// The UTC day the file was started (for a file that already held lines, the day it was last written).
        var day: Int64 = 0
        /// A file was created or renamed, and the folder entry is not yet on disk.
        var folderNeedsSync = false
        /// ``close()`` was called.
        var isClosed = false
    }

    let settings: Settings
    let names: RotatedNames
    let clock: RelayClock
    private let handle: Mutex<Handle>
    /// `write` and `fsync` block; they run here so a slow disk never holds one of the few cooperative threads.
    private let io = DispatchQueue(label: "engage-relay.file-sink")

    /// Opens (creating if needed) the file named by `path`; the context's clock drives daily rotation and the
    /// names of rotated files.
    public init(configuration: SinkConfiguration, context: SinkContext) throws {
        settings = try Settings(configuration)
        names = RotatedNames(path: settings.path)
        clock = context.clock
        handle = Mutex(Handle())
        do {
            try handle.withLock { handle in
                try openPath(&handle)
                try syncFolderIfNeeded(&handle)
            }
        } catch let error as SinkError {
            throw SinkError("sink `\(configuration.name)`: \(error.message)")
        }
    }

    deinit {
        handle.withLock { handle in closeDescriptor(handle.fd) }
    }

    /// Closes and reopens `path` between batches, creating it (and its folders) if it was moved away; the server
    /// calls this on SIGHUP, after an external logrotate.
    public func reopen() async throws {
        try handle.withLock { handle in
            guard !handle.isClosed else { throw SinkError("file `\(settings.path)` is closed") }
            closeDescriptor(handle.fd)
            handle.fd = -1
            try openPath(&handle)
            try syncFolderIfNeeded(&handle)
        }
    }

    /// Appends every event of the batch as whole lines: one write and one `fsync` (`fsync batch`), one of each per
    /// event (`always`, where a failure part-way keeps the lines already synced and asks to retry the rest), or
    /// one write and no sync (`never`).
    public func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] {
        guard !batch.isEmpty else { return [] }
        var bytes: [UInt8] = []
        var lineEnds: [Int] = []
        bytes.reserveCapacity(batch.reduce(0) { $0 + $1.body.count + 256 })
        lineEnds.reserveCapacity(batch.count)
        for event in batch {
            FileSink.appendLine(for: event, to: &bytes)
            lineEnds.append(bytes.count)
        }
        let lines = bytes
        let ends = lineEnds
        return try await withCheckedThrowingContinuation { continuation in
            io.async {
                continuation.resume(
                    with: Result {
                        try self.handle.withLock { handle in
                            try self.prepare(&handle, forAppending: lines.count)
                            return try FileSink.append(
                                lines, lineEnds: ends, to: handle.fd, path: self.settings.path, sync: self.settings.sync)
                        }
                    })
            }
        }
    }

    /// Closes the file.
    public func close() async throws {
        handle.withLock { handle in
            closeDescriptor(handle.fd)
            handle.fd = -1
            handle.isClosed = true
        }
    }

    /// Opens the file if needed and rotates it if the next `count` bytes call for it.
    func prepare(_ handle: inout Handle, forAppending count: Int) throws {
        guard !handle.isClosed else { throw SinkError("file `\(settings.path)` is closed") }
        if handle.fd < 0 { try openPath(&handle) }
        if let rotation = settings.rotation {
            let size = try Self.size(of: handle.fd, path: settings.path)
            let today = Self.utcDay(clock.now())
            let tooBig = rotation.maxBytes.map { size + Int64(count) > $0 } ?? false
            let newDay = rotation.daily && today != handle.day
            if size == 0 {
                // Nothing to set aside: an empty file simply becomes today's.
                handle.day = today
            } else if tooBig || newDay {
                try rotate(&handle)
            }
        }
        try syncFolderIfNeeded(&handle)
    }

    /// Renames the file aside, opens a new one and prunes old rotated files beyond `keep`.
    func rotate(_ handle: inout Handle) throws {
        // Rename only the file this sink holds: if `path` was moved or replaced behind its back (a logrotate
        // without SIGHUP), start over on whatever is at `path` instead of renaming someone else's file.
        var held = stat()
        var atPath = stat()
        if fstat(handle.fd, &held) == 0, stat(settings.path, &atPath) == 0, held.st_dev == atPath.st_dev,
            held.st_ino == atPath.st_ino
        {
            let target = names.freePath(stamp: Self.stamp(clock.now()))
            guard rename(settings.path, target) == 0 else {
                throw SinkError("cannot rotate `\(settings.path)` to `\(target)`: \(String(cString: strerror(errno)))")
            }
            handle.folderNeedsSync = true
        }
        closeDescriptor(handle.fd)
        handle.fd = -1
        try openPath(&handle)
        if let keep = settings.keep {
            // Best effort: a file that cannot be deleted now is tried again at the next rotation.
            for old in names.existing().dropLast(keep) { _ = unlink(names.path(of: old.fileName)) }
        }
    }

    /// Opens `path` for appending, creating missing folders and the file (with exactly `mode`).
    func openPath(_ handle: inout Handle) throws {
        var folder = stat()
        if stat(names.folder, &folder) != 0 || folder.st_mode & S_IFMT != S_IFDIR {
            do {
                try FileManager.default.createDirectory(atPath: names.folder, withIntermediateDirectories: true)
            } catch {
                throw SinkError("cannot create folder `\(names.folder)`: \(error.localizedDescription)")
            }
        }
        let (fd, created) = try Self.openForAppending(settings.path, mode: settings.mode)
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            closeDescriptor(fd)
            throw SinkError("cannot stat `\(settings.path)`: \(reason)")
        }
        handle.fd = fd
        handle.folderNeedsSync = handle.folderNeedsSync || created
        let today = Self.utcDay(clock.now())
        handle.day = status.st_size > 0 ? min(today, Self.utcDay(Self.modificationDate(status))) : today
    }

    /// Puts a new or renamed folder entry on disk before lines in it count as delivered (unless `fsync never`).
    func syncFolderIfNeeded(_ handle: inout Handle) throws {
        guard handle.folderNeedsSync else { return }
        guard settings.sync != .never else {
            handle.folderNeedsSync = false
            return
        }
        let fd = openDescriptor(names.folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SinkError("cannot open folder `\(names.folder)`: \(String(cString: strerror(errno)))")
        }
        defer { closeDescriptor(fd) }
        guard fsync(fd) == 0 else {
            throw SinkError("cannot sync folder `\(names.folder)`: \(String(cString: strerror(errno)))")
        }
        handle.folderNeedsSync = false
    }

    /// Opens `path` for appending; a missing file is created with exactly `mode` (the umask does not narrow it).
    static func openForAppending(_ path: String, mode: mode_t) throws -> (fd: Int32, created: Bool) {
        // Exclusive creation tells a new file from an existing one, whose permissions are left alone.
        for _ in 0..<100 {
            let fd = openDescriptor(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            if fd >= 0 {
                // A failure here leaves the umask's narrower permissions, never wider ones.
                _ = fchmod(fd, mode)
                return (fd, true)
            }
            if errno == EINTR { continue }
            guard errno == EEXIST else { break }
            let existing = openDescriptor(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            if existing >= 0 { return (existing, false) }
            guard errno == ENOENT || errno == EINTR else { break }
        }
        throw SinkError("cannot open `\(path)` for appending: \(String(cString: strerror(errno)))")
    }

    /// Writes the lines at the end of the file and syncs as `sync` says; a failed write or sync is cut back so no
    /// torn line remains and a retry writes each line once.
    static func append(
        _ bytes: [UInt8], lineEnds: [Int], to fd: Int32, path: String, sync: SyncMode
    ) throws -> [DeliveryOutcome] {
        guard fd >= 0 else { throw SinkError("file `\(path)` is closed") }
        var offset = try size(of: fd, path: path)
        switch sync {
        case .batch, .never:
            try appendWhole(bytes[...], to: fd, cuttingBackTo: offset, path: path, sync: sync == .batch)
        case .always:
            var lineStart = 0
            for (index, lineEnd) in lineEnds.enumerated() {
                do {
                    try appendWhole(bytes[lineStart..<lineEnd], to: fd, cuttingBackTo: offset, path: path, sync: true)
                } catch {
                    guard index > 0 else { throw error }
                    return Array(repeating: .delivered, count: index)
                        + Array(repeating: .retry(reason: "\(error)"), count: lineEnds.count - index)
                }
                offset += Int64(lineEnd - lineStart)
                lineStart = lineEnd
            }
        }
        return Array(repeating: .delivered, count: lineEnds.count)
    }

    /// Writes all bytes at the end of the file and optionally syncs; on failure cuts the file back to `size`.
    static func appendWhole(
        _ bytes: ArraySlice<UInt8>, to fd: Int32, cuttingBackTo size: Int64, path: String, sync: Bool
    ) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                _ = ftruncate(fd, off_t(size))
                throw SinkError("cannot write to `\(path)`: \(reason)")
            }
            written += result
        }
        if sync, fsync(fd) != 0 {
            let reason = String(cString: strerror(errno))
            // Whether the lines reached the disk is unknown; without them, the engine's retry writes each once.
            _ = ftruncate(fd, off_t(size))
            throw SinkError("cannot sync `\(path)`: \(reason)")
        }
    }

    /// The current length of the open file.
    static func size(of fd: Int32, path: String) throws -> Int64 {
        guard fd >= 0 else { throw SinkError("file `\(path)` is closed") }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw SinkError("cannot stat `\(path)`: \(String(cString: strerror(errno)))")
        }
        return Int64(status.st_size)
    }

    static func modificationDate(_ status: stat) -> Date {
        #if canImport(Darwin)
            Date(timeIntervalSince1970: TimeInterval(status.st_mtimespec.tv_sec))
        #else
            Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec))
        #endif
    }

    /// The line for one event: `{"id":…,"messageId":…,"type":…,"tenant":…,"receivedAt":…,"body":<original JSON>}`,
    /// plus `"payload":<decrypted JSON>` when the event arrived encrypted.
    static func appendLine(for event: EngageEvent, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: #"{"id":"#.utf8)
        JSONValue.appendStringLiteral(event.id, to: &bytes)
        bytes.append(contentsOf: #","messageId":"#.utf8)
        JSONValue.appendStringLiteral(event.messageId, to: &bytes)
        bytes.append(contentsOf: #","type":"#.utf8)
        JSONValue.appendStringLiteral(event.type.rawValue, to: &bytes)
        bytes.append(contentsOf: #","tenant":"#.utf8)
        if let tenant = event.tenant {
            JSONValue.appendStringLiteral(tenant, to: &bytes)
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
        bytes.append(contentsOf: #","receivedAt":"#.utf8)
        JSONValue.appendStringLiteral(event.receivedAt.formatted(timestampStyle), to: &bytes)
        bytes.append(contentsOf: #","body":"#.utf8)
        // Raw newlines can only be whitespace between JSON tokens, so blanking them keeps the body's meaning intact
        // while guaranteeing one event per line.
        for byte in event.body {
            bytes.append(byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") ? UInt8(ascii: " ") : byte)
        }
        // The body of an encrypted event holds ciphertext; the decrypted payload goes beside it.
        if event.isEncrypted, let payload = try? event.payload.compactJSON() {
            bytes.append(contentsOf: #","payload":"#.utf8)
            bytes.append(contentsOf: payload)
        }
        bytes.append(contentsOf: "}\n".utf8)
    }

    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}

// Free functions, so the libc names are not shadowed by the sink's own `close()`.
func closeDescriptor(_ fd: Int32) {
    if fd >= 0 { _ = close(fd) }
}

func openDescriptor(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
    open(path, flags, mode)
}
