import EngageEvents
import Synchronization

/// The most recently accepted events, decoded, by message id: the dispatcher takes an event from here instead of
/// decoding its stored body again while it is still recent. Bounded by count and by bytes (oldest out first), so
/// memory stays flat when the dispatcher falls behind, whatever the bodies' size; a miss just means one more decode.
final class RecentEvents: Sendable {
    private struct State {
        var events: [String: EngageEvent] = [:]
        /// Message ids and their cost, oldest first from `head`.
        var order: [(id: String, bytes: Int)] = []
        var head = 0
        var bytes = 0
    }

    private let capacity: Int
    private let maxBytes: Int
    private let state = Mutex(State())

    /// At most `capacity` events and `maxBytes` of them.
    init(capacity: Int, maxBytes: Int = 16 << 20) {
        self.capacity = capacity
        self.maxBytes = maxBytes
    }

    /// What keeping `event` costs: its body, and about as much again for the decoded payload.
    static func cost(of event: EngageEvent) -> Int { 2 * event.body.count + 256 }

    /// The bytes held now, for tests.
    var bytes: Int { state.withLock { $0.bytes } }

    /// The events held now, for tests.
    var count: Int { state.withLock { $0.events.count } }

    func remember(_ event: EngageEvent) {
        let cost = Self.cost(of: event)
        guard capacity > 0, cost <= maxBytes else { return }
        state.withLock { state in
            guard state.events.updateValue(event, forKey: event.messageId) == nil else { return }
            state.order.append((event.messageId, cost))
            state.bytes += cost
            while state.events.count > capacity || state.bytes > maxBytes {
                let oldest = state.order[state.head]
                state.head += 1
                state.events.removeValue(forKey: oldest.id)
                state.bytes -= oldest.bytes
            }
            if state.head > capacity {
                state.order.removeFirst(state.head)
                state.head = 0
            }
        }
    }

    func event(messageId: String) -> EngageEvent? {
        state.withLock { $0.events[messageId] }
    }
}
