import AsyncHTTPClient
import NIOCore

extension HTTPClient {
    /// The one client every `http` sink in the process shares, so connections are pooled per host.
    ///
    /// Unlike `HTTPClient.shared` it does not follow redirects: a 3xx comes back as the response, and the sink reports
    /// it. TLS uses the system trust store. Like `HTTPClient.shared`, it lives as long as the process.
    static let relaySinks = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: HTTPClient.Configuration.Timeout(connect: .seconds(10)),
            connectionPool: HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60)),
            decompression: .disabled
        )
    )
}
