extension SQLiteSpool {
    /// How appends map to transactions.
    public enum CommitMode: String, Sendable, CaseIterable {
        /// Appends waiting while a transaction runs are written together by the next one: one `fsync` per batch.
        case grouped
        /// One transaction per append, for comparing against ``grouped``.
        case perRequest = "per-request"
    }
}
