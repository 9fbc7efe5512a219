import Foundation
import GRDB
import RelayCore

/// The `WHERE` clause (over `events e`) selecting the events of a query or selection, with its arguments.
struct EventFilter {
    private(set) var conditions: [String] = []
    private(set) var arguments = StatementArguments()

    /// `WHERE …`, or nothing when every event is selected.
    var sql: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }

    /// The events a listing asks for; a delivery state and a sink together ask for one delivery with both.
    init(_ query: EventQuery) {
        if let type = query.type { add("e.type = ?", [type]) }
        if let state = query.eventState { add("e.state = ?", [state.rawValue]) }
        addTimeRange(since: query.since, until: query.until)
        addDelivery(state: query.deliveryState, sink: query.sink)
    }

    /// The events a replay or purge acts on.
    ///
    /// The sink narrows events only together with a delivery state: alone, it names the sink to act on, and a
    /// replay to a sink may concern an event that has no delivery yet.
    init(_ selection: ReplaySelection) {
        if !selection.ids.isEmpty {
            let marks = Array(repeating: "?", count: selection.ids.count).joined(separator: ", ")
            add(
                "(e.event_id IN (\(marks)) OR e.message_id IN (\(marks)))",
                StatementArguments(selection.ids + selection.ids))
        }
        if let state = selection.eventState { add("e.state = ?", [state.rawValue]) }
        addTimeRange(since: selection.since, until: selection.until)
        if let state = selection.deliveryState { addDelivery(state: state, sink: selection.sink) }
    }

    private mutating func add(_ condition: String, _ values: StatementArguments) {
        conditions.append(condition)
        arguments += values
    }

    private mutating func addTimeRange(since: Date?, until: Date?) {
        if let since { add("e.received_at >= ?", [since.timeIntervalSince1970]) }
        if let until { add("e.received_at < ?", [until.timeIntervalSince1970]) }
    }

    private mutating func addDelivery(state: DeliveryState?, sink: String?) {
        switch (state, sink) {
        case (nil, nil):
            break
        case (let state?, nil):
            add("EXISTS (SELECT 1 FROM deliveries d WHERE d.event_key = e.key AND d.state = ?)", [state.rawValue])
        case (nil, let sink?):
            add("EXISTS (SELECT 1 FROM deliveries d WHERE d.event_key = e.key AND d.sink = ?)", [sink])
        case (let state?, let sink?):
            add(
                "EXISTS (SELECT 1 FROM deliveries d WHERE d.event_key = e.key AND d.sink = ? AND d.state = ?)",
                [sink, state.rawValue])
        }
    }
}
