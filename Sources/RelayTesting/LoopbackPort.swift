#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Loopback ports for tests that must name a port before a peer binds it.
public enum LoopbackPort {
    #if canImport(Glibc)
        static let socketStream = Int32(SOCK_STREAM.rawValue)
        static let socketDatagram = Int32(SOCK_DGRAM.rawValue)
    #else
        static let socketStream = SOCK_STREAM
        static let socketDatagram = SOCK_DGRAM
    #endif

    /// A loopback port nothing listens on right now (TCP when `stream`, else UDP).
    public static func free(stream: Bool = true) throws -> Int {
        let fd = socket(AF_INET, stream ? socketStream : socketDatagram, 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TestFailure("cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on the loopback port.
    public static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, socketStream, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
