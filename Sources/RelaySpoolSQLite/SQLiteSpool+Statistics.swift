import RelayCore

extension SQLiteSpool {
    /// Counters of the append path since the spool was opened, for metrics and for judging group commit.
    public struct Statistics: Sendable, Equatable {
        /// Appends that committed, stored or duplicate.
        public var appends = 0
        /// Appends that found their message id already held.
        public var duplicates = 0
        /// Appends that failed because their transaction did not commit.
        public var failures = 0
        /// Append transactions committed; with group commit, fewer than ``appends``.
        public var commits = 0

        /// Creates zeroed counters.
        public init() {}

        mutating func record(_ outcomes: [Result<SpoolAppendResult, SpoolError>], committed: Bool) {
            if committed { commits += 1 }
            for outcome in outcomes {
                switch outcome {
                case .success(.stored): appends += 1
                case .success(.duplicate):
                    appends += 1
                    duplicates += 1
                case .failure: failures += 1
                }
            }
        }
    }
}
