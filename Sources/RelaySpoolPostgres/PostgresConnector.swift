import Foundation
import Logging
import NIOSSL
import PostgresNIO
import RelayCore

/// The connection code the PostgreSQL spool and the `postgres` sink share: a client configuration from a
/// ``PostgresURL``, and error texts that never carry SQL arguments or event content.
public enum PostgresConnector {
    /// A client configuration for `url` with at most `connections` connections.
    public static func configuration(_ url: PostgresURL, connections: Int, applicationName: String)
        -> PostgresClient.Configuration
    {
        var configuration: PostgresClient.Configuration
        if let socket = url.socketPath {
            configuration = .init(
                unixSocketPath: socket, username: url.user, password: url.password, database: url.database)
        } else {
            configuration = .init(
                host: url.host ?? "localhost", port: url.port, username: url.user, password: url.password,
                database: url.database, tls: tls(url.tls))
        }
        configuration.options.maximumConnections = max(1, connections)
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return configuration
    }

    /// One connection's configuration (for `LISTEN`, which needs a connection of its own).
    public static func connectionConfiguration(_ url: PostgresURL) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socket = url.socketPath {
            configuration = .init(
                unixSocketPath: socket, username: url.user, password: url.password, database: url.database)
        } else {
            let mode: PostgresConnection.Configuration.TLS =
                switch url.tls {
                case .disable: .disable
                case .prefer: .prefer(try .init(configuration: unverified))
                case .require: .require(try .init(configuration: unverified))
                case .verifyFull: .require(try .init(configuration: .makeClientConfiguration()))
                }
            configuration = .init(
                host: url.host ?? "localhost", port: url.port, username: url.user, password: url.password,
                database: url.database, tls: mode)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    private static var unverified: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return tls
    }

    private static func tls(_ mode: PostgresURL.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        // libpq's `prefer` and `require` encrypt without checking the certificate; `verify-full` checks it.
        case .prefer: .prefer(unverified)
        case .require: .require(unverified)
        case .verifyFull: .require(.makeClientConfiguration())
        }
    }

    /// What went wrong, in the server's words (message and SQLSTATE) or the client's error code; never the query
    /// or its arguments.
    public static func reason(_ error: any Error) -> String {
        switch error {
        case let error as PostgresTransactionError:
            let cause = error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError
            return cause.map(reason) ?? "PostgreSQL: the transaction failed"
        case let error as PSQLError:
            if let info = error.serverInfo, let message = info[.message] {
                return "PostgreSQL: \(message) (SQLSTATE \(info[.sqlState] ?? "?"))"
            }
            if let underlying = error.underlying { return "PostgreSQL \(error.code): \(underlying)" }
            return "PostgreSQL \(error.code)"
        case is CancellationError:
            return "the operation was cancelled"
        default:
            return "\(error)"
        }
    }

    /// The SQLSTATE of a server error, if `error` is one.
    public static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
