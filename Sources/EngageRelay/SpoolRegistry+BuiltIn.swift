import Foundation
import RelayCore
import RelayPlanning
import RelaySpoolSQLite

extension SpoolRegistry {
    /// Every spool kind that ships with engage-relay: `sqlite`, the embedded default.
    public static let builtIn = SpoolRegistry()
        .adding(kind: "sqlite") { plan, logger, mustExist throws(SpoolError) in
            if mustExist && !FileManager.default.fileExists(atPath: plan.path) {
                throw SpoolError(.cannotOpen, "no spool at `\(plan.path)`")
            }
            return try SQLiteSpool(
                path: plan.path, commitMode: SQLiteSpool.CommitMode(rawValue: plan.commit) ?? .grouped,
                maxQueuedAppends: plan.maxQueue, maxSize: plan.maxSize, logger: logger)
        }
}
