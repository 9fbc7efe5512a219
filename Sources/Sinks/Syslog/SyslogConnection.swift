import NIOCore
import NIOPosix
import RelayCore

/// The socket of one syslog sink: opened on first use, kept open, and dropped after a failure so the next delivery
/// opens a fresh one (the engine's backoff spaces the attempts).
///
/// UDP and unix sockets are connected datagram sockets, so a refused port surfaces as an error instead of silence.
/// TCP reads nothing but keeps reading, so a receiver that closes or restarts is noticed before the next write.
actor SyslogConnection {
    private enum State {
        case idle
        case connecting(Task<any Channel, any Error>)
        case connected(any Channel)
        case closed
    }

    let address: SyslogAddress
    /// How long connecting, and writing one batch, may take.
    let timeout: TimeAmount
    private var state = State.idle

    init(address: SyslogAddress, timeout: TimeAmount) {
        self.address = address
        self.timeout = timeout
    }

    /// Writes the messages in order and returns how many were written before the first failure, and that failure.
    func send(_ messages: [ByteBuffer]) async -> (written: Int, failure: (any Error)?) {
        let channel: any Channel
        do {
            channel = try await openChannel()
        } catch {
            return (0, error)
        }
        let writes = messages.map { channel.write($0) }
        channel.flush()
        // A receiver that stops reading fills the socket buffer and the writes never complete: past the timeout
        // the connection is closed, which fails them, and the engine retries the batch.
        let timeout = self.timeout
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        defer { deadline.cancel() }
        for (index, write) in writes.enumerated() {
            do {
                try await write.get()
            } catch {
                drop(channel)
                let reason = channel.isActive ? error : SinkError("syslog at \(address): writing did not finish within \(timeout)")
                return (index, reason)
            }
        }
        return (messages.count, nil)
    }

    /// Closes the socket; later sends fail.
    func close() async {
        let previous = state
        state = .closed
        switch previous {
        case .connected(let channel): try? await channel.close()
        case .connecting(let task):
            task.cancel()
            if let channel = try? await task.value { try? await channel.close() }
        case .idle, .closed: break
        }
    }

    private func openChannel() async throws -> any Channel {
        while true {
            switch state {
            case .closed:
                throw SinkError("the syslog sink for \(address) is closed")
            case .connected(let channel) where channel.isActive:
                return channel
            case .connected(let channel):
                drop(channel)
            case .connecting(let task):
                do {
                    let channel = try await task.value
                    if case .connecting(let current) = state, current == task { state = .connected(channel) }
                } catch {
                    if case .connecting(let current) = state, current == task { state = .idle }
                    throw error
                }
            case .idle:
                let address = self.address
                let timeout = self.timeout
                state = .connecting(Task { try await SyslogConnection.connect(to: address, timeout: timeout) })
            }
        }
    }

    private func drop(_ channel: any Channel) {
        if case .connected(let current) = state, current === channel { state = .idle }
        channel.close(promise: nil)
    }

    private static func connect(to address: SyslogAddress, timeout: TimeAmount) async throws -> any Channel {
        let group = MultiThreadedEventLoopGroup.singleton
        do {
            switch address {
            case .udp(let host, let port):
                return try await DatagramBootstrap(group: group).connect(host: host, port: port).get()
            case .unix(let path):
                return try await DatagramBootstrap(group: group).connect(unixDomainSocketPath: path).get()
            case .tcp(let host, let port):
                return try await ClientBootstrap(group: group)
                    .connectTimeout(timeout)
                    .channelOption(.socketOption(.so_keepalive), value: 1)
                    .connect(host: host, port: port).get()
            }
        } catch {
            throw SinkError("cannot connect to syslog at \(address): \(error)")
        }
    }
}
