import Foundation
import PostgresNIO
import RelayCore

/// The `WHERE` clause (over `relay_events e`) selecting the events of a query or selection, with its bindings: the
/// same selection rules as the SQLite spool's.
struct PostgresEventFilter {
    private(set) var conditions: [String] = []
    private(set) var binds = PostgresBindings()

    /// `WHERE …`, or nothing when every event is selected.
    var sql: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }

    /// The next placeholder number.
    var nextPlaceholder: Int { binds.count + 1 }

    /// The events a listing asks for; a delivery state and a sink together ask for one delivery with both.
    init(_ query: EventQuery) {
        if let type = query.type { add("e.type = $?", type) }
        if let state = query.eventState { add("e.state = $?", state.rawValue) }
        addTimeRange(since: query.since, until: query.until)
        addDelivery(state: query.deliveryState, sink: query.sink)
    }

    /// The events a replay or purge acts on (the sink narrows events only together with a delivery state).
    init(_ selection: ReplaySelection) {
        if !selection.ids.isEmpty { add("(e.event_id = ANY($?) OR e.message_id = ANY($?))", selection.ids, selection.ids) }
        if let state = selection.eventState { add("e.state = $?", state.rawValue) }
        addTimeRange(since: selection.since, until: selection.until)
        if let state = selection.deliveryState { addDelivery(state: state, sink: selection.sink) }
    }

    /// Appends a value and returns its placeholder, for conditions the caller adds around the filter.
    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    private mutating func add<each Value: PostgresDynamicTypeEncodable>(_ condition: String, _ values: repeat each Value) {
        var text = condition
        for value in repeat each values {
            binds.append(value)
            text = text.replacingOccurrences(
                of: "$?", with: "$\(binds.count)", options: [], range: text.range(of: "$?"))
        }
        conditions.append(text)
    }

    private mutating func addTimeRange(since: Date?, until: Date?) {
        if let since { add("e.received_at >= $?", since.timeIntervalSince1970) }
        if let until { add("e.received_at < $?", until.timeIntervalSince1970) }
    }

    private mutating func addDelivery(state: DeliveryState?, sink: String?) {
        switch (state, sink) {
        case (nil, nil):
            break
        case (let state?, nil):
            add("EXISTS (SELECT 1 FROM relay_deliveries d WHERE d.event_key = e.key AND d.state = $?)", state.rawValue)
        case (nil, let sink?):
            add("EXISTS (SELECT 1 FROM relay_deliveries d WHERE d.event_key = e.key AND d.sink = $?)", sink)
        case (let state?, let sink?):
            add(
                "EXISTS (SELECT 1 FROM relay_deliveries d WHERE d.event_key = e.key AND d.sink = $? AND d.state = $?)",
                sink, state.rawValue)
        }
    }
}
