#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// Kills a command's process group when its time is up, whichever comes first: the timeout or learning the pid.
final class ProcessWatchdog: Sendable {
    private struct State {
        /// The process group leader, once spawned; `nil` before and after.
        var pid: pid_t?
        /// Whether the process was reaped (its pid may be reused: never signal it again).
        var isFinished = false
        /// Whether the timeout fired.
        var hasFired = false
    }

    private let state = Mutex(State())

    /// Creates a watchdog for a process about to be spawned.
    init() {}

    /// The process is running as the leader of its own group; kills it at once if the timeout already fired.
    func started(_ pid: pid_t) {
        state.withLock { state in
            state.pid = pid
            if state.hasFired { _ = kill(-pid, SIGKILL) }
        }
    }

    /// The timeout fired: kills the whole group if the process is running.
    func fire() {
        state.withLock { state in
            state.hasFired = true
            if let pid = state.pid, !state.isFinished { _ = kill(-pid, SIGKILL) }
        }
    }

    /// The process was reaped; later timeouts do nothing.
    func finished() {
        state.withLock { $0.isFinished = true }
    }

    /// Whether the timeout fired before the process was reaped.
    var hasFired: Bool { state.withLock { $0.hasFired } }
}
