import RelayConfig
import RelayCore

/// Where a syslog sink sends: `udp://HOST:PORT`, `tcp://HOST:PORT` or `unix:///PATH` (a datagram socket such as
/// `/dev/log`). An IPv6 host is written in brackets: `udp://[::1]:514`.
enum SyslogAddress: Sendable, Hashable, CustomStringConvertible {
    /// One datagram per message.
    case udp(host: String, port: Int)
    /// One connection; each message framed with RFC 6587 octet counting (`LEN SP MSG`).
    case tcp(host: String, port: Int)
    /// One datagram per message to a local socket.
    case unix(path: String)

    /// Parses an `address` option, or throws an error showing the accepted forms; the host is read like a `listen`
    /// host (``ConfigValue/host(_:)``), so an IP address must be one that ``IPAddress`` accepts.
    init(parsing text: String) throws(SinkError) {
        let forms = "use udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH (e.g. udp://127.0.0.1:514, unix:///dev/log)"
        if text.hasPrefix("unix://") {
            let path = String(text.dropFirst("unix://".count))
            guard path.hasPrefix("/"), path.count > 1, !path.contains("\0") else {
                throw SinkError("address `\(text)` needs an absolute socket path after unix://; \(forms)")
            }
            self = .unix(path: path)
            return
        }
        let isUDP = text.hasPrefix("udp://")
        guard isUDP || text.hasPrefix("tcp://") else {
            throw SinkError("address `\(text)` has no udp://, tcp:// or unix:// scheme; \(forms)")
        }
        let rest = text.dropFirst("udp://".count)
        let hostText: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                throw SinkError("address `\(text)` has an unclosed IPv6 bracket or no port; \(forms)")
            }
            hostText = rest[...close]
            portText = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":") else {
                throw SinkError("address `\(text)` has no port; \(forms)")
            }
            hostText = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard let host = ConfigValue.host(hostText) else {
            throw SinkError("address `\(text)` has no valid host; \(forms)")
        }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText), (1...65535).contains(port)
        else {
            throw SinkError("address `\(text)` has no valid port (1...65535); \(forms)")
        }
        self = isUDP ? .udp(host: host, port: port) : .tcp(host: host, port: port)
    }

    /// The largest message this transport carries, in bytes (the TCP length prefix not counted): UDP 2048 for
    /// RFC 5424 (what RFC 5426 asks every receiver to accept) and 1024 for RFC 3164 (its own limit); TCP 64 KiB;
    /// a unix socket 8 KiB (rsyslog's and journald's default maximum).
    func maxMessageBytes(for format: SyslogFormatter.Format) -> Int {
        switch self {
        case .udp: format == .rfc3164 ? 1024 : 2048
        case .tcp: 65536
        case .unix: 8192
        }
    }

    /// The address as written.
    var description: String {
        switch self {
        case .udp(let host, let port): "udp://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        case .tcp(let host, let port): "tcp://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        case .unix(let path): "unix://\(path)"
        }
    }
}
