#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import EngageEvents
import Foundation
import NIOCore
import RelayCore

/// Sends one syslog message per event to a syslog receiver over UDP, TCP or a unix datagram socket, speaking the
/// protocols itself (RFC 5424 or RFC 3164; RFC 6587 octet counting on TCP).
///
/// A message longer than the transport carries (UDP 2048 bytes for RFC 5424, 1024 for RFC 3164; TCP 64 KiB; unix
/// 8 KiB) is cut on a UTF-8 character boundary and ends with `…[truncated]`. TCP keeps one connection and opens a
/// new one on the next delivery after a failure. Delivery is at-least-once up to the socket: a receiver that dies
/// with messages in flight loses them, as with any plain syslog transport.
public final class SyslogSink: Sink {
    /// Registered as `syslog`.
    public static let kind = "syslog"
    /// One line for listings.
    public static let summary = "send one syslog message per event (RFC 5424 or 3164) over UDP, TCP or a unix socket"
    /// The options of a `syslog` block, as typed keys.
    enum Key {
        static let address = SinkOptionKey.string(
            "address", required: true,
            doc: "receiver: udp://HOST:PORT, tcp://HOST:PORT (octet-counted) or unix:///PATH (datagram, e.g. /dev/log)")
        static let format = SinkOptionKey.choice(
            "format", of: SyslogFormatter.Format.self, default: .rfc5424,
            doc: "message format: rfc5424 (structured data with the event id) or rfc3164 (BSD)")
        static let facility = SinkOptionKey.choice(
            "facility", among: SyslogFormatter.facilities.map(\.name), default: "user",
            doc: "syslog facility of every message")
        static let severity = SinkOptionKey.choice(
            "severity", among: SyslogFormatter.severities, default: "info", doc: "syslog severity of every message")
        static let appName = SinkOptionKey.string(
            "app-name", default: "engage-relay",
            doc: "APP-NAME (RFC 5424) or tag (RFC 3164): printable ASCII without [ ] :, at most 48 characters")
        static let hostname = SinkOptionKey.string("hostname", doc: "HOSTNAME field (default: this machine's host name)")
        static let timeout = SinkOptionKey.duration(
            "timeout", default: "10s", in: .milliseconds(1)...(.seconds(3600)),
            doc: "how long connecting or writing a batch may take before the batch is retried (a receiver that stops "
                + "reading cannot hold the sink, a reload or a shutdown)")
        static let template = SinkOptionKey.string(
            "template",
            doc: "message text with {type} {tenant} {id} {contactId} placeholders (default: the payload as compact JSON)")
    }

    /// The options of a `syslog` block.
    public static let options: [SinkOption] = [
        Key.address.option, Key.format.option, Key.facility.option, Key.severity.option, Key.appName.option,
        Key.hostname.option, Key.timeout.option, Key.template.option,
    ]

    /// Up to 64 events per delivery, each sent as its own message.
    public static let defaultBatchSize = 64

    private let formatter: SyslogFormatter
    private let address: SyslogAddress
    private let limit: Int
    private let connection: SyslogConnection

    /// Validates the options; the socket is opened on the first delivery, so a receiver that is down does not stop
    /// start-up.
    public init(configuration: SinkConfiguration, context: SinkContext) throws {
        let name = configuration.name
        let options = configuration.options
        func fail(_ message: String) -> SinkError { SinkError("sink `\(name)`: \(message)") }
        let addressText = try options.required(Key.address, sink: name)
        do {
            address = try SyslogAddress(parsing: addressText)
        } catch {
            throw fail(error.message)
        }
        let format = options[Key.format] ?? .rfc5424
        // The checker admits only declared choices, so these look-ups find their entry.
        let facilityName = options[Key.facility] ?? "user"
        let facility = SyslogFormatter.facilities.first { $0.name == facilityName }?.code ?? 1
        let severity = SyslogFormatter.severities.firstIndex(of: options[Key.severity] ?? "info") ?? 6
        let appName = options[Key.appName] ?? "engage-relay"
        guard (1...48).contains(appName.utf8.count),
            appName.utf8.allSatisfy({ (33...126).contains($0) && $0 != UInt8(ascii: "[") && $0 != UInt8(ascii: "]") })
                && !appName.contains(":")
        else {
            throw fail("app-name `\(appName)` must be 1 to 48 printable ASCII characters without spaces, [ ] or :")
        }
        let hostname = options[Key.hostname] ?? SyslogSink.machineHostname()
        guard (1...255).contains(hostname.utf8.count), hostname.utf8.allSatisfy({ (33...126).contains($0) }) else {
            throw fail("hostname `\(hostname)` must be 1 to 255 printable ASCII characters without spaces")
        }
        var template: EventTemplate?
        if let text = options[Key.template] {
            do throws(EventTemplate.UnknownPlaceholder) {
                template = try EventTemplate(parsing: text)
            } catch {
                throw fail("unknown placeholder `{\(error.name)}` in `template`; \(error.suggestion)")
            }
        }
        formatter = SyslogFormatter(
            format: format, priority: facility * 8 + severity, hostname: hostname, appName: appName,
            processID: "\(getpid())", template: template)
        limit = address.maxMessageBytes(for: format)
        connection = SyslogConnection(address: address, timeout: TimeAmount(options[Key.timeout] ?? .seconds(10)))
    }

    /// Sends one message per event, in order; events sent before a failure count as delivered, the rest are retried
    /// (the whole batch is thrown back when nothing could be sent).
    public func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] {
        guard !batch.isEmpty else { return [] }
        let messages = batch.map { event in
            let message = formatter.message(for: event, limit: limit)
            guard case .tcp = address else { return ByteBuffer(bytes: message) }
            var buffer = ByteBuffer()
            buffer.reserveCapacity(message.count + 8)
            buffer.writeString("\(message.count) ")
            buffer.writeBytes(message)
            return buffer
        }
        let (written, failure) = await connection.send(messages)
        guard let failure else { return Array(repeating: .delivered, count: batch.count) }
        let reason = (failure as? SinkError)?.message ?? "syslog at \(address): \(failure)"
        if written == 0 { throw SinkError(reason) }
        return batch.indices.map { $0 < written ? .delivered : .retry(reason: reason) }
    }

    /// Closes the socket.
    public func close() async throws {
        await connection.close()
    }

    /// This machine's host name, or `-` (RFC 5424's nil value) when it has none.
    static func machineHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "-" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let printable = String(name.unicodeScalars.filter { (33...126).contains($0.value) })
        return printable.isEmpty ? "-" : String(printable.prefix(255))
    }
}
