import Foundation
import RelayCore
import Synchronization

/// The contract every ``Spool`` implementation passes: append, duplicates, claim order, lease expiry, guarded
/// completion, renewal, replay, purge (of dead letters and of undeliverable events), prune, dead-lettering and depth.
/// Framework-neutral, like
/// ``SinkConformance``: it returns problems, and a test asserts the list is empty.
///
/// ```swift
/// let problems = await SpoolConformance.check { try MySpool(path: freshPath()) }
/// #expect(problems.isEmpty, "\(problems)")
/// ```
public enum SpoolConformance {
    /// Runs every check, each against a fresh, empty spool from `makeSpool`, which is closed afterwards.
    public static func check(_ makeSpool: @Sendable () async throws -> any Spool) async -> [String] {
        var problems: [String] = []
        for (name, run) in checks {
            do {
                let spool = try await makeSpool()
                var probe = Probe(check: name)
                do {
                    try await run(spool, &probe)
                } catch {
                    probe.problems.append("\(name): threw \(error)")
                }
                try? await spool.close()
                problems += probe.problems
            } catch {
                problems.append("\(name): the spool could not be made: \(error)")
            }
        }
        return problems
    }

    /// The moment every check starts from.
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    static let lease = LeaseTerms(owner: "conformance", duration: .seconds(10))

    /// Collects failed expectations of one check.
    struct Probe {
        let check: String
        var problems: [String] = []

        mutating func expect(_ condition: Bool, _ what: @autoclosure () -> String) {
            if !condition { problems.append("\(check): \(what())") }
        }
    }

    static func record(_ n: Int, sinks: [String] = ["a"], at time: Date = t0, state: StoredEventState = .routed)
        -> SpoolRecord
    {
        SpoolRecord(
            messageId: "msg_\(n)", eventId: "evt_\(n)", type: "contact.created", tenant: "se", receivedAt: time,
            body: Array(#"{"id":"evt_\#(n)","n":\#(n)}"#.utf8), sinks: sinks, state: state,
            reason: state == .undeliverable ? "invalid_envelope: test" : nil)
    }

    static func fill(_ spool: any Spool, _ count: Int, sinks: [String] = ["a"]) async throws {
        for n in 1...count { _ = try await spool.append(record(n, sinks: sinks, at: t0 + Double(n))) }
    }

    static func state(_ spool: any Spool, _ id: String, sink: String = "a") async throws -> StoredDelivery? {
        try await spool.event(id)?.deliveries.first { $0.sink == sink }
    }

    typealias Check = @Sendable (any Spool, inout Probe) async throws -> Void

    static let checks: [(String, Check)] = [
        ("append", appendStoresBodyAndDeliveries),
        ("duplicate", duplicateStoresNothing),
        ("claim order", claimsInReceiptOrder),
        ("lease expiry", expiredLeaseIsClaimedAgain),
        ("guarded complete", completeNeedsTheLease),
        ("renew", renewKeepsTheClaim),
        ("retry and dead letter", retryAndFailureAreRecorded),
        ("replay", replayResetsAndReleases),
        ("purge", purgeDeletesOnlyDeadLetters),
        ("purge undeliverable", purgeUndeliverableDeletesOnlyUndeliverableEvents),
        ("prune", pruneKeepsWhatIsNotDone),
        ("dead-letter a sink", deadLetterTakesPendingOnly),
        ("depth", depthCountsBySinkAndState),
        ("in-order claim", inOrderClaimWaitsForTheLane),
        ("duplicates in one batch", concurrentCopiesStoreOnce),
        ("export and import", exportAndImportCopyEverything),
        ("replay routes by body", replayHandsTheRoutesTheBody),
    ]

    static func replayHandsTheRoutesTheBody(_ spool: any Spool, _ probe: inout Probe) async throws {
        _ = try await spool.append(record(1, sinks: [], state: .unrouted))
        let seen = Mutex<[[UInt8]?]>([])
        let queued = try await spool.replay(ReplaySelection(ids: ["evt_1"]), now: t0 + 10) { event in
            seen.withLock { $0.append(event.body) }
            return ["a"]
        }
        probe.expect(seen.withLock { $0 } == [record(1).body], "replay's routes did not get the body to route by")
        probe.expect(queued == 1, "replay queued \(queued), not 1")
        probe.expect(try await spool.event("msg_1")?.state == .routed, "a replayed unrouted event is not routed")
    }

    static func exportAndImportCopyEverything(_ spool: any Spool, _ probe: inout Probe) async throws {
        try await fill(spool, 5, sinks: ["a", "b"])
        _ = try await spool.append(record(6, sinks: [], state: .undeliverable))
        let claimed = try await spool.claim(sink: "a", limit: 2, lease: lease, now: t0 + 100)
        _ = try await spool.complete([DeliveryResult(claimed[0], .failed, error: "HTTP 500", at: t0 + 101)])
        let first = try await spool.exportEvents(after: 0, limit: 4)
        let rest = try await spool.exportEvents(after: first.last?.key ?? 0, limit: 100)
        let all = first + rest
        probe.expect(all.map(\.messageId) == (1...6).map { "msg_\($0)" }, "export is not in receipt order: \(all.map(\.messageId))")
        probe.expect(all.allSatisfy { $0.body != nil }, "export lacks bodies")
        probe.expect(try await spool.importEvents(all, now: t0 + 200) == 0, "importing what is held stored something")
        let copies = all.map { event in
            var copy = event
            copy.messageId = "copy_" + event.messageId
            return copy
        }
        probe.expect(try await spool.importEvents(copies, now: t0 + 200) == 6, "copies under new ids were not all stored")
        let failed = try await spool.event("copy_msg_1")
        probe.expect(
            failed?.deliveries.first { $0.sink == "a" }.map { $0.state == .failed && $0.lastError == "HTTP 500" } == true,
            "a dead letter was not copied as one: \(failed?.deliveries ?? [])")
        probe.expect(
            try await spool.event("copy_msg_2")?.deliveries.first { $0.sink == "a" }?.state == .pending,
            "an in-flight delivery was not copied as pending")
        let undeliverable = try await spool.event("copy_msg_6")
        probe.expect(
            undeliverable?.state == .undeliverable && undeliverable?.reason != nil && undeliverable?.body == record(6).body,
            "an undeliverable event lost its state, reason or body")
    }

    static func inOrderClaimWaitsForTheLane(_ spool: any Spool, _ probe: inout Probe) async throws {
        try await fill(spool, 3, sinks: ["a", "b"])
        var ordered = lease
        ordered.inOrder = true
        let now = t0 + 100
        let first = try await spool.claim(sink: "a", limit: 1, lease: ordered, now: now)
        probe.expect(first.map(\.messageId) == ["msg_1"], "first in-order claim: \(first.map(\.messageId))")
        probe.expect(
            try await spool.claim(sink: "a", limit: 1, lease: ordered, now: now).isEmpty,
            "an in-order claim took a delivery while the lane was held")
        probe.expect(
            try await spool.claim(sink: "b", limit: 1, lease: ordered, now: now).count == 1,
            "a held lane of one sink blocked another sink")
        probe.expect(
            try await spool.claim(sink: "a", limit: 1, lease: lease, now: now).count == 1,
            "a claim without order waited for the lane")
        _ = try await spool.complete(first.map { DeliveryResult($0, .delivered, at: now) })
        probe.expect(
            try await spool.claim(sink: "a", limit: 5, lease: ordered, now: now).isEmpty,
            "an in-order claim ran past a delivery still in flight")
        probe.expect(
            try await spool.claim(sink: "a", limit: 5, lease: ordered, now: now + 60).map(\.messageId) == ["msg_2", "msg_3"],
            "once the lease ran out, the in-order claim did not take the rest in order")
    }

    static func concurrentCopiesStoreOnce(_ spool: any Spool, _ probe: inout Probe) async throws {
        let outcomes = await withTaskGroup(of: SpoolAppendResult?.self) { group in
            for _ in 0..<20 { group.addTask { try? await spool.append(record(1)) } }
            var outcomes: [SpoolAppendResult?] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        probe.expect(outcomes.count { $0 == .stored } == 1, "20 concurrent copies were stored \(outcomes.count { $0 == .stored }) times")
        probe.expect(outcomes.count { $0 == .duplicate } == 19, "copies were not answered as duplicates: \(outcomes)")
        probe.expect(try await spool.event("msg_1")?.deliveries.count == 1, "copies created deliveries")
    }

    static func appendStoresBodyAndDeliveries(_ spool: any Spool, _ probe: inout Probe) async throws {
        probe.expect(try await spool.append(record(1, sinks: ["a", "b"])) == .stored, "first append is not stored")
        _ = try await spool.append(record(2, sinks: [], state: .unrouted))
        _ = try await spool.append(record(3, sinks: [], state: .undeliverable))
        let one = try await spool.event("msg_1")
        probe.expect(one?.body == record(1).body, "the body does not read back byte for byte")
        probe.expect(one?.eventId == "evt_1" && one?.tenant == "se" && one?.receivedAt == t0, "metadata differs")
        probe.expect(
            one?.deliveries.map(\.sink) == ["a", "b"] && one?.deliveries.allSatisfy { $0.state == .pending } == true,
            "deliveries are not pending for a and b: \(one?.deliveries ?? [])")
        probe.expect(try await spool.event("evt_1")?.messageId == "msg_1", "an event id does not find the event")
        probe.expect(try await spool.event("msg_2")?.state == .unrouted, "an unrouted event is not kept as unrouted")
        let kept = try await spool.event("msg_3")
        probe.expect(kept?.state == .undeliverable && kept?.reason != nil, "an undeliverable event lost its reason")
        probe.expect(try await spool.event("msg_404") == nil, "an unknown id finds something")
        let listed = try await spool.events(EventQuery())
        probe.expect(listed.map(\.messageId) == ["msg_3", "msg_2", "msg_1"], "listing is not newest first: \(listed.map(\.messageId))")
        probe.expect(listed.allSatisfy { $0.body == nil }, "listings carry bodies")
    }

    static func duplicateStoresNothing(_ spool: any Spool, _ probe: inout Probe) async throws {
        _ = try await spool.append(record(1))
        var copy = record(1, sinks: ["a", "b"])
        copy.eventId = "evt_other"
        probe.expect(try await spool.append(copy) == .duplicate, "a second append of a message id is not a duplicate")
        probe.expect(try await spool.event("msg_1")?.deliveries.count == 1, "a duplicate created deliveries")
        probe.expect(try await spool.events(EventQuery()).count == 1, "a duplicate created an event")
    }

    static func claimsInReceiptOrder(_ spool: any Spool, _ probe: inout Probe) async throws {
        try await fill(spool, 5, sinks: ["a", "b"])
        let now = t0 + 100
        let first = try await spool.claim(sink: "a", limit: 2, lease: lease, now: now)
        probe.expect(first.map(\.messageId) == ["msg_1", "msg_2"], "first claim: \(first.map(\.messageId))")
        probe.expect(Set(first.map(\.lease.token)).count == 1, "one claim holds its deliveries under one lease")
        probe.expect(first.first?.body == record(1).body, "a claimed delivery's body differs")
        let rest = try await spool.claim(sink: "a", limit: 10, lease: lease, now: now)
        probe.expect(rest.map(\.messageId) == ["msg_3", "msg_4", "msg_5"], "second claim: \(rest.map(\.messageId))")
        probe.expect(rest.first?.lease.token != first.first?.lease.token, "two claims share a lease token")
        probe.expect(try await spool.claim(sink: "a", limit: 10, lease: lease, now: now).isEmpty, "held deliveries claimed twice")
        probe.expect(try await spool.claim(sink: "b", limit: 10, lease: lease, now: now).count == 5, "sinks are not independent")
        probe.expect(try await spool.claim(sink: "c", limit: 10, lease: lease, now: now).isEmpty, "an unknown sink has deliveries")
        probe.expect(try await spool.claim(sink: "a", limit: 0, lease: lease, now: now + 1000).isEmpty, "limit 0 claims")
        _ = try await spool.append(record(6, at: t0 + 200))
        probe.expect(try await spool.claim(sink: "a", limit: 1, lease: lease, now: now).isEmpty, "a claim took a delivery not yet due")
    }

    static func expiredLeaseIsClaimedAgain(_ spool: any Spool, _ probe: inout Probe) async throws {
        try await fill(spool, 2)
        let first = try await spool.claim(sink: "a", limit: 1, lease: lease, now: t0 + 10)
        probe.expect(first.first?.lease.expiresAt == t0 + 20, "the lease does not run for its duration")
        probe.expect(try await spool.nextDue(sink: "a") == t0 + 2, "next due is not the pending delivery's time")
        _ = try await spool.claim(sink: "a", limit: 1, lease: lease, now: t0 + 10)
        probe.expect(try await spool.claim(sink: "a", limit: 5, lease: lease, now: t0 + 19).isEmpty, "a live lease was taken over")
        probe.expect(try await spool.nextDue(sink: "a") == t0 + 20, "next due is not the earliest lease expiry")
        let again = try await spool.claim(sink: "a", limit: 5, lease: lease, now: t0 + 20)
        probe.expect(again.map(\.messageId) == ["msg_1", "msg_2"], "expired leases are not claimed again: \(again.map(\.messageId))")
        probe.expect(again.first?.attempts == 1, "the lost attempt is not counted: \(again.first?.attempts ?? -1)")
        probe.expect(again.first?.lease.token != first.first?.lease.token, "a re-claim kept the old token")
        probe.expect(
            try await state(spool, "msg_1")?.lastError == DeliveryLease.expiredNote, "the lost attempt has no note")
        let late = try await spool.complete([DeliveryResult(first[0], .delivered, at: t0 + 21)])
        probe.expect(late == CompletionReport(recorded: 0, ignored: 1), "a late outcome was not ignored: \(late)")
        probe.expect(try await state(spool, "msg_1")?.state == .inFlight, "a late outcome changed the delivery")
        let current = try await spool.complete(again.map { DeliveryResult($0, .delivered, at: t0 + 22) })
        probe.expect(current == CompletionReport(recorded: 2, ignored: 0), "the current lease's outcomes: \(current)")
        probe.expect(try await state(spool, "msg_1")?.state == .delivered, "the current outcome was not recorded")
    }

    static func completeNeedsTheLease(_ spool: any Spool, _ probe: inout Probe) async throws {
        try await fill(spool, 1)
        let claimed = try await spool.claim(sink: "a", limit: 1, lease: lease, now: t0 + 5)
        var forged = DeliveryResult(claimed[0], .delivered, at: t0 + 6)
        forged.leaseToken = "not-the-token"
        probe.expect(
            try await spool.complete([forged]) == CompletionReport(recorded: 0, ignored: 1), "a wrong token was recorded")
        let unclaimed = DeliveryResult(eventKey: claimed[0].eventKey, sink: "b", leaseToken: claimed[0].lease.token, kind: .delivered, at: t0)
        probe.expect(try await spool.complete([unclaimed]).ignored == 1, "a result for an unclaimed delivery was recorded")
        probe.expect(
            try await spool.complete([DeliveryResult(claimed[0], .delivered, at: t0 + 6)]).recorded == 1,
            "the right token was not recorded")
        probe.expect(
            try await spool.complete([DeliveryResult(claimed[0], .failed, at: t0 + 7)]).ignored == 1,
            "a second outcome under a finished lease was recorded")
        probe.expect(try await state(spool, "msg_1")?.state == .delivered, "the delivery is not delivered")
        probe.expect(try await spool.nextDue(sink: "a") == nil, "a finished sink has something due")
    }

    static func renewKeepsTheClaim(_ spool: any Spool, _ probe: inout Probe) async throws {
        try await fill(spool, 2)
        let claimed = try await spool.claim(sink: "a", limit: 2, lease: lease, now: t0 + 5)
        probe.expect(try await spool.renew(claimed[0].lease, until: t0 + 40) == 2, "renew does not count what it holds")
        probe.expect(try await spool.claim(sink: "a", limit: 2, lease: lease, now: t0 + 30).isEmpty, "a renewed lease expired")
        _ = try await spool.complete([DeliveryResult(claimed[0], .delivered, at: t0 + 31)])
        probe.expect(try await spool.renew(claimed[0].lease, until: t0 + 60) == 1, "renew counted a completed delivery")
        probe.expect(try await spool.claim(sink: "a", limit: 2, lease: lease, now: t0 + 59).isEmpty, "the renewal was cut short")
        probe.expect(try await spool.claim(sink: "a", limit: 2, lease: lease, now: t0 + 60).count == 1, "the renewed lease did not end")
    }

    static func retryAndFailureAreRecorded(_ spool: any Spool, _ probe: inout Probe) async throws {
        try await fill(spool, 2)
        let claimed = try await spool.claim(sink: "a", limit: 2, lease: lease, now: t0 + 5)
        _ = try await spool.complete([
            DeliveryResult(claimed[0], .retry(at: t0 + 60), error: "503 from peer", at: t0 + 6),
            DeliveryResult(claimed[1], .failed, error: "422 from peer", at: t0 + 6),
        ])
        let retried = try await state(spool, "msg_1")
        probe.expect(
            retried?.state == .pending && retried?.attempts == 1 && retried?.lastError == "503 from peer"
                && retried?.nextAttemptAt == t0 + 60, "a retry is not recorded: \(String(describing: retried))")
        let dead = try await state(spool, "msg_2")
        probe.expect(dead?.state == .failed && dead?.attempts == 1 && dead?.lastError == "422 from peer", "a dead letter: \(String(describing: dead))")
        probe.expect(try await spool.claim(sink: "a", limit: 2, lease: lease, now: t0 + 59).isEmpty, "a retry came before its time")
        probe.expect(try await spool.claim(sink: "a", limit: 2, lease: lease, now: t0 + 60).map(\.messageId) == ["msg_1"], "a retry is not due at its time")
        let failed = try await spool.events(EventQuery(deliveryState: .failed, sink: "a"))
        probe.expect(failed.map(\.messageId) == ["msg_2"], "listing dead letters: \(failed.map(\.messageId))")
    }

    static func replayResetsAndReleases(_ spool: any Spool, _ probe: inout Probe) async throws {
        try await fill(spool, 3)
        let claimed = try await spool.claim(sink: "a", limit: 3, lease: lease, now: t0 + 5)
        _ = try await spool.complete([
            DeliveryResult(claimed[0], .delivered, at: t0 + 6), DeliveryResult(claimed[1], .failed, error: "x", at: t0 + 6),
        ])
        let queued = try await spool.replay(ReplaySelection(ids: ["msg_1", "evt_3"]), now: t0 + 7) { _ in ["a", "b"] }
        probe.expect(queued == 4, "replay of two events to two sinks queued \(queued)")
        let one = try await spool.event("msg_1")
        probe.expect(
            one?.deliveries.map(\.sink) == ["a", "b"] && one?.deliveries.allSatisfy { $0.state == .pending && $0.attempts == 0 } == true,
            "replay did not reset and create deliveries: \(one?.deliveries ?? [])")
        probe.expect(
            try await spool.complete([DeliveryResult(claimed[2], .delivered, at: t0 + 8)]).ignored == 1,
            "replay did not release the lease of an in-flight delivery")
        let retried = try await spool.replay(ReplaySelection(deliveryState: .failed), now: t0 + 9) { _ in ["a"] }
        probe.expect(retried == 1, "retrying dead letters queued \(retried)")
        probe.expect(try await state(spool, "msg_2")?.state == .pending, "a retried dead letter is not pending")
        _ = try await spool.append(record(9, sinks: [], state: .unrouted))
        _ = try await spool.replay(ReplaySelection(ids: ["msg_9"]), now: t0 + 9) { _ in ["a"] }
        probe.expect(try await spool.event("msg_9")?.state == .routed, "a replayed unrouted event is not routed")
    }

    static func purgeDeletesOnlyDeadLetters(_ spool: any Spool, _ probe: inout Probe) async throws {
        try await fill(spool, 2, sinks: ["a", "b"])
        let claimed = try await spool.claim(sink: "a", limit: 2, lease: lease, now: t0 + 5)
        _ = try await spool.complete(claimed.map { DeliveryResult($0, .failed, error: "gone", at: t0 + 6) })
        probe.expect(try await spool.purge(ReplaySelection(ids: ["msg_1"])) == 1, "purge by id")
        probe.expect(try await spool.event("msg_1")?.deliveries.map(\.sink) == ["b"], "purge removed a live delivery")
        probe.expect(try await spool.purge(ReplaySelection(sink: "b")) == 0, "purge removed pending deliveries")
        probe.expect(try await spool.purge(ReplaySelection()) == 1, "purge of every dead letter")
    }

    static func purgeUndeliverableDeletesOnlyUndeliverableEvents(
        _ spool: any Spool, _ probe: inout Probe
    ) async throws {
        _ = try await spool.append(record(1))
        _ = try await spool.append(record(2, sinks: [], state: .unrouted))
        for n in 3...6 { _ = try await spool.append(record(n, sinks: [], at: t0 + Double(n), state: .undeliverable)) }
        let claimed = try await spool.claim(sink: "a", limit: 1, lease: lease, now: t0 + 10)
        _ = try await spool.complete(claimed.map { DeliveryResult($0, .failed, error: "gone", at: t0 + 11) })
        probe.expect(
            try await spool.purgeUndeliverable(ReplaySelection(ids: ["msg_3", "evt_4", "msg_1", "msg_2"])) == 2,
            "purge of undeliverable events by message id and event id")
        let purged = (try await spool.event("msg_3"), try await spool.event("evt_4"))
        probe.expect(purged.0 == nil && purged.1 == nil, "a purged event is still held")
        probe.expect(
            try await spool.purgeUndeliverable(ReplaySelection(since: t0 + 6, until: t0 + 7)) == 1,
            "purge of undeliverable events by time range")
        probe.expect(try await spool.purgeUndeliverable(ReplaySelection()) == 1, "purge of every undeliverable event")
        let left = try await spool.events(EventQuery()).map(\.messageId).sorted()
        probe.expect(left == ["msg_1", "msg_2"], "purging undeliverable events touched others: \(left)")
        probe.expect(try await state(spool, "msg_1")?.state == .failed, "a dead letter was purged with them")
        probe.expect(
            try await spool.append(record(3, sinks: [], state: .undeliverable)) == .stored,
            "a purged id is still a duplicate")
    }

    static func pruneKeepsWhatIsNotDone(_ spool: any Spool, _ probe: inout Probe) async throws {
        try await fill(spool, 3)
        _ = try await spool.append(record(4, sinks: [], state: .undeliverable))
        _ = try await spool.append(record(5, sinks: [], state: .unrouted))
        let claimed = try await spool.claim(sink: "a", limit: 2, lease: lease, now: t0 + 5)
        _ = try await spool.complete([
            DeliveryResult(claimed[0], .delivered, at: t0 + 6), DeliveryResult(claimed[1], .failed, at: t0 + 6),
        ])
        let pruned = try await spool.prune(receivedBefore: t0 + 1000)
        probe.expect(pruned == 2, "prune deleted \(pruned), expected the delivered and the unrouted event")
        let left = try await spool.events(EventQuery()).map(\.messageId).sorted()
        probe.expect(left == ["msg_2", "msg_3", "msg_4"], "after prune: \(left)")
        probe.expect(try await spool.prune(receivedBefore: t0) == 0, "prune ignored the cutoff")
    }

    static func deadLetterTakesPendingOnly(_ spool: any Spool, _ probe: inout Probe) async throws {
        try await fill(spool, 3)
        _ = try await spool.claim(sink: "a", limit: 1, lease: lease, now: t0 + 5)
        let count = try await spool.deadLetter(sink: "a", reason: "sink removed", now: t0 + 6)
        probe.expect(count == 2, "dead-lettered \(count), expected the two pending deliveries")
        probe.expect(try await state(spool, "msg_1")?.state == .inFlight, "a delivery under a live lease was dead-lettered")
        probe.expect(try await state(spool, "msg_2")?.lastError == "sink removed", "the reason is not recorded")
        probe.expect(try await spool.deadLetter(sink: "a", reason: "later", now: t0 + 20) == 1, "an expired lease was not dead-lettered")
    }

    static func depthCountsBySinkAndState(_ spool: any Spool, _ probe: inout Probe) async throws {
        try await fill(spool, 3, sinks: ["a", "b"])
        let claimed = try await spool.claim(sink: "a", limit: 1, lease: lease, now: t0 + 5)
        _ = try await spool.complete([DeliveryResult(claimed[0], .delivered, at: t0 + 6)])
        let rows = try await spool.depth().map { "\($0.sink) \($0.state.rawValue) \($0.count)" }.sorted()
        probe.expect(rows == ["a delivered 1", "a pending 2", "b pending 3"], "depth: \(rows)")
        let oldest = try await spool.depth().first { $0.sink == "b" }?.oldestReceivedAt
        probe.expect(oldest == t0 + 1, "oldest pending receipt: \(String(describing: oldest))")
    }
}
