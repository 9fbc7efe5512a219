import Logging
import RelayCore

/// The spool kinds a binary knows, chosen by a plan's ``SpoolPlan/kind``, the way sinks come from a
/// ``SinkRegistry``: the runtime and the command line open whatever spool the config names through it.
public struct SpoolRegistry: Sendable {
    /// Opens a spool of one kind: the plan's settings, a logger, and whether the spool must already exist (the
    /// inspection commands never create one).
    public typealias Open = @Sendable (SpoolPlan, Logger, _ mustExist: Bool) async throws(SpoolError) -> any Spool

    private var kinds: [String: Open] = [:]

    /// A registry with no kinds.
    public init() {}

    /// A copy that also opens spools of `kind`.
    public func adding(kind: String, open: @escaping Open) -> SpoolRegistry {
        var copy = self
        copy.kinds[kind] = open
        return copy
    }

    /// The kinds known, sorted.
    public var kindNames: [String] { kinds.keys.sorted() }

    /// Opens the spool `plan` names; fails with `cannot_open` for a kind this binary does not know.
    public func open(_ plan: SpoolPlan, logger: Logger, mustExist: Bool = false) async throws(SpoolError) -> any Spool {
        guard let open = kinds[plan.kind] else {
            throw SpoolError(.cannotOpen, "this binary has no `\(plan.kind)` spool (known: \(kindNames.joined(separator: ", ")))")
        }
        return try await open(plan, logger, mustExist)
    }
}
