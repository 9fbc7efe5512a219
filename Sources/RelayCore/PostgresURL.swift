import Foundation

/// A `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&host=/socket/dir]` address, parsed and checked the
/// same way by `check`, the spool and the `postgres` sink. Its description never shows the password.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    /// How the connection uses TLS, by libpq's `sslmode` names.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without checking its certificate (libpq's default).
        case prefer
        /// TLS or no connection, without checking the certificate.
        case require
        /// TLS with the certificate checked against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    /// The role to connect as.
    public var user: String
    /// Its password, if any.
    public var password: String?
    /// The host name or address (nil when `socketFolder` is set).
    public var host: String?
    /// The port.
    public var port: Int
    /// A folder holding the server's Unix socket (`?host=/run/postgresql`), instead of TCP.
    public var socketFolder: String?
    /// The database.
    public var database: String
    /// TLS use.
    public var tls: TLSMode

    /// The path of the Unix socket, when connecting through one.
    public var socketPath: String? { socketFolder.map { "\($0)/.s.PGSQL.\(port)" } }

    /// Parses `text`; the error says what is wrong without repeating the password.
    public init(_ text: String) throws(PostgresURLError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw PostgresURLError("is not a URL; write postgres://USER:PASSWORD@HOST:5432/DATABASE")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw PostgresURLError("has scheme `\(scheme)`, not `postgres`")
        }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw PostgresURLError("names no user; write postgres://USER@HOST/DATABASE")
        }
        self.user = user
        self.password = components.password?.removingPercentEncoding
        let database = String(components.path.dropFirst()).removingPercentEncoding ?? ""
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresURLError("names no database; end it with /DATABASE")
        }
        self.database = database
        self.port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw PostgresURLError("has port \(port), not 1–65535") }
        var tls = TLSMode.prefer
        var socketFolder: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw PostgresURLError(
                        "has sslmode `\(item.value ?? "")`; use one of: "
                            + TLSMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                tls = mode
            case "host":
                guard let folder = item.value, folder.hasPrefix("/") else {
                    throw PostgresURLError("has a `host` parameter that is not an absolute socket folder")
                }
                socketFolder = folder
            default:
                throw PostgresURLError("has parameter `\(item.name)`, which engage-relay does not support (only sslmode, host)")
            }
        }
        let host = components.host.flatMap { $0.isEmpty ? nil : $0 }
        guard host != nil || socketFolder != nil else { throw PostgresURLError("names no host") }
        if socketFolder != nil && tls != .prefer && tls != .disable {
            throw PostgresURLError("asks for TLS over a Unix socket, which PostgreSQL does not offer")
        }
        self.host = socketFolder == nil ? host : nil
        self.socketFolder = socketFolder
        self.tls = socketFolder == nil ? tls : .disable
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        let credentials = password == nil ? user : "\(user):***"
        let place = socketFolder.map { "?host=\($0)" } ?? ""
        let sslmode = tls == .prefer || socketFolder != nil ? "" : "?sslmode=\(tls.rawValue)"
        return "postgres://\(credentials)@\(host ?? ""):\(port)/\(database)\(place)\(sslmode)"
    }
}

/// Why a PostgreSQL URL was refused; never contains the password.
public struct PostgresURLError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, to follow "the URL …".
    public var message: String
    init(_ message: String) { self.message = message }
    /// `the URL …`.
    public var description: String { "the URL \(message)" }
}
