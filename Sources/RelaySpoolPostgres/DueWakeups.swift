import Logging
import PostgresNIO
import RelayCore
import Synchronization

/// `LISTEN/NOTIFY` between receivers: after a commit that queued deliveries, one `NOTIFY` names their sinks (sent
/// outside the ingest transaction, and coalesced: while one is being sent, later commits add their sinks to the
/// next); a dedicated connection listens and passes every sink named to the subscribers. Polling stays the backstop,
/// so a lost notification only delays a delivery until the next poll.
final class DueWakeups: Sendable {
    private struct State {
        var pending = Set<String>()
        var sending = false
        var stopped = false
        var subscribers: [Int: AsyncStream<String>.Continuation] = [:]
        var nextSubscriber = 0
        var listener: Task<Void, Never>?
    }

    private let url: PostgresURL
    private let client: PostgresClient
    private let channel: String
    private let logger: Logger
    private let state = Mutex(State())

    init(url: PostgresURL, client: PostgresClient, channel: String, logger: Logger) {
        self.url = url
        self.client = client
        self.channel = channel
        self.logger = logger
    }

    /// Queues a notification naming `sinks`.
    func announce(_ sinks: Set<String>) {
        guard !sinks.isEmpty else { return }
        let start = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.pending.formUnion(sinks)
            if state.sending { return false }
            state.sending = true
            return true
        }
        if start { Task { await self.send() } }
    }

    private func send() async {
        while true {
            let sinks = state.withLock { state -> Set<String>? in
                guard !state.pending.isEmpty, !state.stopped else {
                    state.sending = false
                    return nil
                }
                defer { state.pending.removeAll() }
                return state.pending
            }
            guard let sinks else { return }
            let payload = sinks.sorted().joined(separator: ",")
            do {
                try await client.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
            } catch {
                logger.debug("spool notify failed", metadata: ["relay.error": "\(PostgresConnector.reason(error))"])
            }
        }
    }

    /// A new stream of sink names.
    func subscribe() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1024))
        let id = state.withLock { state -> Int? in
            guard !state.stopped else { return nil }
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = continuation
            return state.nextSubscriber
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Starts listening, reconnecting with backoff (0.5 s doubling to 30 s) while the server is away.
    func start() {
        let task = Task { [self] in
            var backoff = Duration.milliseconds(500)
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnection.connect(
                        configuration: PostgresConnector.connectionConfiguration(url), id: 0, logger: logger)
                    backoff = .milliseconds(500)
                    do {
                        try await connection.listen(on: channel) { notifications in
                            // Rows committed while no one listened are found by the poll that follows.
                            self.deliver(["*"])
                            for try await notification in notifications {
                                self.deliver(notification.payload.split(separator: ",").map(String.init))
                            }
                        }
                    } catch {
                        if !Task.isCancelled {
                            logger.info(
                                "spool notification listener lost its connection; reconnecting",
                                metadata: ["relay.error": "\(PostgresConnector.reason(error))"])
                        }
                    }
                    try? await connection.close()
                } catch {
                    if Task.isCancelled { break }
                    logger.debug(
                        "spool notification listener cannot connect",
                        metadata: ["relay.error": "\(PostgresConnector.reason(error))"])
                }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(30))
            }
        }
        state.withLock { $0.listener = task }
    }

    private func deliver(_ sinks: [String]) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers {
            for sink in sinks { subscriber.yield(sink) }
        }
    }

    /// Stops listening and ends every stream.
    func stop() {
        let (listener, subscribers) = state.withLock { state in
            state.stopped = true
            defer {
                state.subscribers.removeAll()
                state.listener = nil
            }
            return (state.listener, Array(state.subscribers.values))
        }
        listener?.cancel()
        for subscriber in subscribers { subscriber.finish() }
    }
}
