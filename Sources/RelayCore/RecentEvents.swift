import EngageEvents
import Synchronization

/// The most recently accepted events, decoded, by message id: the dispatcher takes an event from here instead of
/// decoding its stored body again while it is still recent. Bounded (oldest out first), so memory stays flat when
/// the dispatcher falls behind; a miss just means one more decode.
final class RecentEvents: Sendable {
    private struct State {
        var events: [String: EngageEvent] = [:]
        var order: [String] = []
        var head = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    func remember(_ event: EngageEvent) {
        guard capacity > 0 else { return }
        state.withLock { state in
            guard state.events.updateValue(event, forKey: event.messageId) == nil else { return }
            if state.order.count < capacity {
                state.order.append(event.messageId)
            } else {
                state.events.removeValue(forKey: state.order[state.head])
                state.order[state.head] = event.messageId
                state.head = (state.head + 1) % capacity
            }
        }
    }

    func event(messageId: String) -> EngageEvent? {
        state.withLock { $0.events[messageId] }
    }
}
