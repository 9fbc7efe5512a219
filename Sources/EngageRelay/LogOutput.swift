import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where log lines go: a file descriptor written from a serial queue of its own, never from the caller's thread.
///
/// Logging must not take the process down or hold it up. A caller only appends to a queue bounded by bytes; a
/// reader that stops reading (a full pipe) stalls the queue's thread, not the cooperative pool, and lines beyond the
/// bound are dropped and counted, then reported in one line once writing works again. A write error (`EPIPE`,
/// `ENOSPC`, a closed descriptor) loses that line and nothing else.
public final class LogOutput: Sendable {
    private struct State {
        var pendingBytes = 0
        var dropped = 0
        var failedWrites = 0
    }

    /// Standard error, the receiver's log.
    public static let standardError = LogOutput(descriptor: STDERR_FILENO)

    /// The most bytes of lines waiting to be written before new lines are dropped.
    public static let defaultLimit = 4 << 20

    private let descriptor: Int32
    private let limit: Int
    private let queue = DispatchQueue(label: "engage-relay.log-output")
    private let state = Mutex(State())
    /// Formats the line that reports dropped lines (set by ``RelayLogging/bootstrap(format:level:)``).
    private let droppedNotice = Mutex<@Sendable (Int) -> String>({ "\($0) log lines dropped" })

    /// An output writing to `descriptor`, holding at most `limit` bytes of unwritten lines.
    public init(descriptor: Int32, limit: Int = LogOutput.defaultLimit) {
        self.descriptor = descriptor
        self.limit = limit
    }

    /// Sets how the report of dropped lines is worded (a line in the log's format, without the newline).
    public func reportDropped(as notice: @escaping @Sendable (Int) -> String) {
        droppedNotice.withLock { $0 = notice }
    }

    /// Queues `line` (with its newline) for writing; drops it when the queue is full.
    public func write(_ line: String) {
        let bytes = Array(line.utf8)
        let admitted = state.withLock { state in
            guard state.pendingBytes + bytes.count <= limit else {
                state.dropped += 1
                return false
            }
            state.pendingBytes += bytes.count
            return true
        }
        guard admitted else { return }
        queue.async { [self] in
            let written = Self.writeAll(bytes, to: descriptor)
            let dropped = state.withLock { state in
                state.pendingBytes -= bytes.count
                if !written { state.failedWrites += 1 }
                guard written, state.dropped > 0 else { return 0 }
                defer { state.dropped = 0 }
                return state.dropped
            }
            if dropped > 0 {
                let notice = droppedNotice.withLock { $0 }(dropped)
                _ = Self.writeAll(Array((notice + "\n").utf8), to: descriptor)
            }
        }
    }

    /// Waits until the lines queued so far are written, for at most `timeout` (a stalled reader must not hold up exit).
    /// Returns whether they were.
    @discardableResult
    public func flush(timeout: Duration = .seconds(2)) -> Bool {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        return done.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .success
    }

    /// Lines dropped because the queue was full, not yet reported, and writes that failed, since start.
    public var losses: (dropped: Int, failedWrites: Int) {
        state.withLock { ($0.dropped, $0.failedWrites) }
    }

    /// Writes every byte, retrying interrupted and short writes and waiting on a non-blocking descriptor that is
    /// full; false when the descriptor reports an error. `SIGPIPE` must be ignored for `EPIPE` to be an error
    /// rather than the end of the process (``RelayLogging/bootstrap(format:level:)`` does that).
    public static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let result = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if result > 0 {
                    offset += result
                } else if result < 0 && errno == EINTR {
                    continue
                } else if result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                    guard poll(&ready, 1, 5_000) > 0 else { return false }
                } else {
                    return false
                }
            }
            return true
        }
    }
}

/// `write(2)`, out of reach of ``LogOutput/write(_:)`` in name lookup.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
