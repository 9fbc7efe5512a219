import Synchronization

/// A one-way signal that operations racing it (``unlessAbandoned(_:_:)``) give up on: set once, never reset.
public final class AbandonSignal: Sendable {
    private struct State {
        var isSet = false
        var nextToken = 0
        var handlers: [Int: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())
    private let timer = Mutex<Task<Void, Never>?>(nil)

    /// A signal not yet set.
    public init() {}

    /// A signal that sets itself after `timeout`, unless ``dismiss()`` is called first.
    public static func after(_ timeout: Duration) -> AbandonSignal {
        let signal = AbandonSignal()
        let task = Task { [weak signal] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            signal?.set()
        }
        signal.timer.withLock { $0 = task }
        return signal
    }

    /// Stops the timer of ``after(_:)`` (the operation it bounded is over), so no sleeping task outlives it.
    public func dismiss() {
        timer.withLock { timer in
            timer?.cancel()
            timer = nil
        }
    }

    /// Whether it was set.
    public var isSet: Bool { state.withLock { $0.isSet } }

    /// Sets it, calling every handler waiting for it.
    public func set() {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.isSet else { return [] }
            state.isSet = true
            defer { state.handlers.removeAll() }
            return Array(state.handlers.values)
        }
        for handler in handlers { handler() }
    }

    /// Calls `handler` once set (at once, returning nil, when it already is); the token takes it back.
    func whenSet(_ handler: @escaping @Sendable () -> Void) -> Int? {
        let token = state.withLock { state -> Int? in
            guard !state.isSet else { return nil }
            state.nextToken += 1
            state.handlers[state.nextToken] = handler
            return state.nextToken
        }
        if token == nil { handler() }
        return token
    }

    func remove(_ token: Int?) {
        guard let token else { return }
        state.withLock { _ = $0.handlers.removeValue(forKey: token) }
    }
}

/// The first of an operation's result and of giving up on it.
private final class FirstOutcome<Value: Sendable>: Sendable {
    private enum State {
        case open
        case waiting(CheckedContinuation<Value?, Never>)
        case decided(Value?)
    }

    private let state = Mutex(State.open)

    func offer(_ value: Value?) {
        let waiter = state.withLock { state -> CheckedContinuation<Value?, Never>? in
            switch state {
            case .open:
                state = .decided(value)
                return nil
            case .waiting(let continuation):
                state = .decided(value)
                return continuation
            case .decided:
                return nil
            }
        }
        waiter?.resume(returning: value)
    }

    var value: Value? {
        get async {
            await withCheckedContinuation { continuation in
                let decided = state.withLock { state -> Value?? in
                    if case .decided(let value) = state { return .some(value) }
                    state = .waiting(continuation)
                    return nil
                }
                if let decided { continuation.resume(returning: decided) }
            }
        }
    }
}

/// Runs `operation` in a task of its own and returns its result, or nil as soon as `signal` is set or the calling
/// task is cancelled. Giving up does not wait for the operation: it is cancelled and left to end on its own, so an
/// operation that ignores cancellation (a sink stuck in blocking I/O) cannot hold up the caller.
public func unlessAbandoned<Value: Sendable>(
    _ signal: AbandonSignal?, _ operation: @escaping @Sendable () async -> Value
) async -> Value? {
    let outcome = FirstOutcome<Value>()
    let work = Task {
        outcome.offer(await operation())
    }
    let token = signal?.whenSet {
        work.cancel()
        outcome.offer(nil)
    }
    defer { signal?.remove(token) }
    return await withTaskCancellationHandler {
        await outcome.value
    } onCancel: {
        work.cancel()
        outcome.offer(nil)
    }
}

/// Runs `operation` in a task of its own and returns its result, or nil once `timeout` passes first: the operation is
/// then cancelled and left to end on its own (``unlessAbandoned(_:_:)``), so a peer that stopped answering cannot
/// hold up the caller.
public func within<Value: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async -> Value) async
    -> Value?
{
    let deadline = AbandonSignal.after(timeout)
    defer { deadline.dismiss() }
    return await unlessAbandoned(deadline, operation)
}
