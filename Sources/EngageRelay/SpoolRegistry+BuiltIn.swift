import Foundation
import RelayCore
import RelayPlanning
import RelaySpoolPostgres
import RelaySpoolSQLite

extension SpoolRegistry {
    /// Every spool kind that ships with engage-relay: `sqlite`, the embedded default, and `postgres`, which several
    /// receivers share.
    public static let builtIn = SpoolRegistry()
        .adding(kind: "sqlite") { plan, logger, mustExist throws(SpoolError) in
            if mustExist && !FileManager.default.fileExists(atPath: plan.path) {
                throw SpoolError(.cannotOpen, "no spool at `\(plan.path)`")
            }
            return try SQLiteSpool(
                path: plan.path, commitMode: SQLiteSpool.CommitMode(rawValue: plan.commit) ?? .grouped,
                maxQueuedAppends: plan.maxQueue, maxSize: plan.maxSize, logger: logger)
        }
        .adding(kind: "postgres") { plan, logger, _ throws(SpoolError) in
            guard let url = plan.url else {
                throw SpoolError(.cannotOpen, "the spool `url` \(plan.urlSource.map { "\($0)" } ?? "") was not read")
            }
            return try await PostgresSpool.open(
                PostgresSpool.Settings(
                    url: url, connections: plan.connections, batchLimit: plan.commit == "per-request" ? 1 : 1_000,
                    maxQueuedAppends: plan.maxQueue, instance: "engage-relay \(LeaseTerms.instanceID())"),
                logger: logger)
        }
}
