#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import RelayCore

extension LedgerSink {
    /// Puts a new file's folder entry on disk; without it, a power loss could lose a file whose rows counted as
    /// delivered. Foundation has no call for this, hence the system one.
    static func syncFolder(_ folder: URL) throws {
        let fd = open(folder.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SinkError("cannot open `\(folder.path)`: \(String(cString: strerror(errno)))") }
        defer { closeDescriptor(fd) }
        guard fsync(fd) == 0 else {
            throw SinkError("cannot sync `\(folder.path)`: \(String(cString: strerror(errno)))")
        }
    }
}

// A free function, so the system's `close` is not shadowed by the sink's own `close()`.
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}
