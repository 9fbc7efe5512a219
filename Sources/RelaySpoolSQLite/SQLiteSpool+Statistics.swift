import RelayCore

extension SQLiteSpool {
    /// Counters of the append path since the spool was opened, for metrics and for judging group commit.
    public typealias Statistics = AppendStatistics
}
