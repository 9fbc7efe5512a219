#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The open-file limit `serve` needs for its connection caps, checked (and the soft limit raised toward the hard
/// one) before anything is opened, so `max-connections` is never a promise the process cannot keep.
public enum OpenFileBudget {
    /// Descriptors beyond the two listeners' connections: listeners, the spool and its journal, sink files and
    /// sockets, exec pipes, outgoing HTTP connections, standard streams.
    public static let reserve = 256

    /// The descriptors `serve` may need with `maxConnections` on ingest and `operationsConnections` on the
    /// operations listener.
    public static func needed(maxConnections: Int, operationsConnections: Int) -> Int {
        maxConnections + operationsConnections + reserve
    }

    /// Raises the soft `RLIMIT_NOFILE` to `needed` when it is lower and the hard limit allows; otherwise an error
    /// that says what to change. Returns the soft limit in force.
    public static func ensure(_ needed: Int, maxConnections: Int) throws(OpenFileBudgetError) -> Int {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_RESOURCE, &limit) == 0 else { return needed }
        let soft = Int(clamping: limit.rlim_cur)
        if soft >= needed { return soft }
        let hard = Int(clamping: limit.rlim_max)  // RLIM_INFINITY is the largest rlim_t: Int.max
        guard hard >= needed else {
            throw OpenFileBudgetError(
                description: "max-connections \(maxConnections) needs up to \(needed) open files, but this process "
                    + "may open at most \(hard) (the hard RLIMIT_NOFILE: `ulimit -Hn`, or LimitNOFILE= in a systemd "
                    + "unit); raise that limit to at least \(needed) or lower max-connections to "
                    + "\(max(1, maxConnections - (needed - hard)))")
        }
        limit.rlim_cur = rlim_t(needed)
        guard setrlimit(RLIMIT_NOFILE_RESOURCE, &limit) == 0 else {
            throw OpenFileBudgetError(
                description: "max-connections \(maxConnections) needs up to \(needed) open files and the soft "
                    + "RLIMIT_NOFILE (\(soft)) could not be raised: errno \(errno)")
        }
        return needed
    }

    #if canImport(Glibc)
        private static let RLIMIT_NOFILE_RESOURCE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let RLIMIT_NOFILE_RESOURCE = RLIMIT_NOFILE
    #endif
}

/// The open-file limit cannot fit the configured connection caps.
public struct OpenFileBudgetError: Error, CustomStringConvertible {
    /// What is wrong and what to change.
    public var description: String
}
