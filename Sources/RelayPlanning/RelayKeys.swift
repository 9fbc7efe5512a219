import RelayConfig

/// Where one of the relay's own keys is written: at the top level or inside one of its blocks.
public enum ConfigScope: String, Sendable, CaseIterable {
    /// The top level of the file.
    case top
    /// Inside `tls { ... }`.
    case tls
    /// Inside `verify { ... }`.
    case verify
    /// Inside `spool { ... }`.
    case spool

    /// How diagnostics name the place (`at the top level`, ``in `verify` ``).
    var context: String { self == .top ? "at the top level" : "in `\(rawValue)`" }
}

/// What a reload does with a changed key.
public enum ReloadEffect: Sendable {
    /// The new value is in force from the next request (or batch).
    case applies
    /// The running value stays until a restart; the closure copies it from the running plan into the new one and
    /// says whether the two differed.
    case needsRestart(@Sendable (_ new: inout RelayPlan, _ running: RelayPlan) -> Bool)
    /// A block whose own keys say.
    case byKeys

    /// The effect of a key whose value is at `path`: the running value is kept until a restart.
    static func restart<Value: Equatable & Sendable>(_ path: any WritableKeyPath<RelayPlan, Value> & Sendable) -> ReloadEffect {
        .needsRestart { new, running in
            defer { new[keyPath: path] = running[keyPath: path] }
            return new[keyPath: path] != running[keyPath: path]
        }
    }
}

/// One of the relay's own config keys, declared once: the builder reads it, the checker's did-you-mean and repeat
/// checks use it, `engage-relay keys --markdown` documents it (the tables of `docs/config.md`), and a reload asks it
/// whether a change applies now or needs a restart. Sink options are declared the same way, by each sink kind.
public struct RelayKey: Sendable {
    /// The key as written.
    public let name: String
    /// Where it is written.
    public let scope: ConfigScope
    /// The value's syntax, as documented.
    public let value: String
    /// The default, as documented (`nil`: none).
    public let defaultValue: String?
    /// Whether it may be written more than once (each line adds).
    public let isRepeatable: Bool
    /// What a reload does with a change.
    public let reload: ReloadEffect
    /// What it means.
    public let doc: String
    let build: @Sendable (inout PlanBuilder, Directive) -> Void

    init(
        _ name: String, _ scope: ConfigScope, value: String, default defaultValue: String? = nil,
        repeatable: Bool = false, reload: ReloadEffect = .applies, doc: String,
        build: @escaping @Sendable (inout PlanBuilder, Directive) -> Void
    ) {
        self.name = name
        self.scope = scope
        self.value = value
        self.defaultValue = defaultValue
        self.isRepeatable = repeatable
        self.reload = reload
        self.doc = doc
        self.build = build
    }

    /// `verify.secret`, or just `listen` at the top level.
    public var qualifiedName: String { scope == .top ? name : "\(scope.rawValue).\(name)" }
}

/// The table of the relay's own keys.
public enum RelayKeys {
    /// Every key, in documentation order.
    public static let all: [RelayKey] = top + tls + verify + spool

    /// The key `name` in `scope`, if there is one.
    static func key(_ name: String, in scope: ConfigScope) -> RelayKey? {
        all.first { $0.scope == scope && $0.name == name }
    }

    /// The names of the keys of `scope`, for did-you-mean.
    static func names(in scope: ConfigScope) -> [String] { all.filter { $0.scope == scope }.map(\.name) }

    static let top: [RelayKey] = [
        RelayKey(
            "listen", .top, value: "`HOST:PORT`", default: "127.0.0.1:8080", reload: .restart(\.listen),
            doc: "address to listen on (`[::]:8080` for all IPv6 and IPv4 addresses, port 0 = any free port)"
        ) { $0.buildListen($1) },
        RelayKey(
            "tls", .top, value: "block", default: "none (plain HTTP)",
            reload: .needsRestart { new, running in
                // New certificate files apply on reload; switching TLS on or off needs a restart.
                let changed = (new.tls == nil) != (running.tls == nil)
                if changed { new.tls = running.tls }
                return changed
            },
            doc: "serve HTTPS on `listen` with these PEM files; a reload re-reads the files, switching TLS on or off "
                + "needs a restart"
        ) { $0.buildTLS($1) },
        RelayKey(
            "metrics-listen", .top, value: "`HOST:PORT`", default: "127.0.0.1:8081", reload: .restart(\.metricsListen),
            doc: "the operations listener (plain HTTP): `/metrics`, `/healthz` and `/readyz`, which `listen` never "
                + "serves (it answers only the ingest path and `/healthz`). Any free port when `listen` uses port 0"
        ) { $0.buildListen($1) },
        RelayKey(
            "path", .top, value: "`/path`", default: "/webhooks/engage",
            doc: "the ingest path; other paths answer 404, other methods 405"
        ) { $0.buildPath($1) },
        RelayKey(
            "max-body", .top, value: "size, 1KiB–64MiB", default: "1MiB",
            doc: "larger bodies are refused with 413 without being buffered"
        ) { $0.buildMaxBody($1) },
        RelayKey(
            "header-timeout", .top, value: "duration, 100ms–1h", default: "10s", reload: .restart(\.limits.headerTimeout),
            doc: "a request head must arrive within this (slow clients are disconnected); also the keep-alive idle limit"
        ) { $0.buildTimeout($1) },
        RelayKey(
            "body-timeout", .top, value: "duration, 100ms–1h", default: "30s", reload: .restart(\.limits.bodyTimeout),
            doc: "a body must arrive within this once the head is in"
        ) { $0.buildTimeout($1) },
        RelayKey(
            "drain-timeout", .top, value: "duration, 1s–1h", default: "30s", reload: .restart(\.drainTimeout),
            doc: "how long SIGTERM waits for running batches, and a reload for the batches of the sinks it replaces; "
                + "a sink still busy then is given up on, and its deliveries are made again after their lease"
        ) { $0.buildDrainTimeout($1) },
        RelayKey(
            "max-connections", .top, value: "integer, 1–1000000", default: "1024",
            reload: .restart(\.limits.maxConnections), doc: "connections served at once"
        ) { $0.buildMaxConnections($1) },
        RelayKey(
            "max-buffered", .top, value: "size, ≥ max-body", default: "64MiB", reload: .restart(\.limits.maxBuffered),
            doc: "the request bodies held in memory at once, across every connection; a request that finds no room "
                + "is answered 503 `busy` with `Retry-After`, so `max-connections` × `max-body` never exceeds it"
        ) { $0.buildMaxBuffered($1) },
        RelayKey(
            "verify", .top, value: "block", default: "required", reload: .byKeys,
            doc: "how deliveries are authenticated"
        ) { $0.buildVerify($1) },
        RelayKey(
            "spool", .top, value: "block", default: "see below", reload: .byKeys,
            doc: "where events are stored before delivery"
        ) { $0.buildSpool($1) },
        RelayKey(
            "sink", .top, value: "`NAME KIND { ... }`", repeatable: true,
            doc: "a destination; `NAME` is lowercase letters, digits, `-`, `_`; a reload starts new sinks, rebuilds "
                + "changed ones and stops removed ones (their pending deliveries become dead letters)"
        ) { $0.buildSink($1) },
        RelayKey(
            "route", .top, value: "`PATTERNS [where EXPR] -> SINKS`", repeatable: true, doc: "which events go where"
        ) { _, _ in },
        RelayKey(
            "unrouted", .top, value: "`keep` \\| `drop` \\| `reject`", default: "keep",
            doc: "an event no route matches: stored (replayable once a route exists) and 204; answered 204 and not "
                + "stored; or refused with 422"
        ) { $0.buildUnrouted($1) },
        RelayKey(
            "log-level", .top, value: LogSettings.levels.map { "`\($0)`" }.joined(separator: " \\| "), default: "info",
            doc: "the least severe level logged; `serve --log-level` overrides it"
        ) { $0.buildLogLevel($1) },
        RelayKey(
            "log-format", .top, value: "`text` \\| `json`", default: "text", reload: .restart(\.log.format),
            doc: "log lines on standard error: text for people, or one JSON object per line; `serve --log-format` "
                + "overrides it"
        ) { $0.buildLogFormat($1) },
    ]

    static let tls: [RelayKey] = [
        RelayKey("cert", .tls, value: "path", default: "required", doc: "the certificate chain in PEM, leaf first") {
            $0.buildTLSFile($1)
        },
        RelayKey("key", .tls, value: "path", default: "required", doc: "the private key in PEM") { $0.buildTLSFile($1) },
    ]

    static let verify: [RelayKey] = [
        RelayKey(
            "secret", .verify, value: "secret", repeatable: true,
            doc: "a `whsec_…` signing secret (prefix optional, 16–128 bytes of base64); repeat the line for rotation"
        ) { $0.buildVerifySecret($1) },
        RelayKey(
            "public-key", .verify, value: "secret", repeatable: true,
            doc: "a `whpk_…` Ed25519 key for `v1a` signatures; repeatable"
        ) { $0.buildVerifyPublicKey($1) },
        RelayKey(
            "tolerance", .verify, value: "duration, 1s–1d", default: "5m",
            doc: "how far `svix-timestamp` may be from now, both ways"
        ) { $0.buildVerifyTolerance($1) },
        RelayKey(
            "allow", .verify, value: "addresses", default: "any address", repeatable: true,
            doc: "source addresses allowed: `svix-eu`, `svix-us` (Svix's published lists), CIDRs (`10.0.0.0/8`, "
                + "`2a05:d028:17:8000::/56`) or single addresses. Refusal: 403"
        ) { $0.buildVerifyAddresses($1) },
        RelayKey(
            "trust-proxy", .verify, value: "addresses", default: "none", repeatable: true,
            doc: "peers whose `X-Forwarded-For` (rightmost untrusted hop) or `Forwarded` header names the client; "
                + "headers from other peers are ignored"
        ) { $0.buildVerifyAddresses($1) },
        RelayKey(
            "header", .verify, value: "`NAME VALUE...`", repeatable: true,
            doc: "a custom header Engage sends on every delivery (ASCII name); any listed value is accepted "
                + "(rotation), compared in constant time. Refusal: 403"
        ) { $0.buildVerifyHeader($1) },
        RelayKey(
            "decrypt", .verify, value: "secret", default: "none",
            doc: "the 32-character payload key; encrypted payloads are decrypted before routing, so filters and "
                + "sinks see plaintext"
        ) { $0.buildVerifyDecrypt($1) },
        RelayKey(
            "rate-limit", .verify, value: "`N/s burst M [per-source N/s burst M]`", default: "none",
            doc: "token buckets, global and per source address. Refusal: 429 with `Retry-After`"
        ) { $0.buildVerifyRateLimit($1) },
    ]

    static let spool: [RelayKey] = [
        RelayKey(
            "path", .spool, value: "path", default: "./data/spool.db", reload: .restart(\.spool.path),
            doc: "the SQLite database (WAL, `synchronous=FULL`)"
        ) { $0.buildSpoolPath($1) },
        RelayKey(
            "url", .spool, value: "`postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…]`, literal, `env:` or `file:`",
            default: "none", reload: .restart(\.spool.url),
            doc: "a PostgreSQL spool several receivers share, instead of `path`; `sslmode` disable, prefer, require "
                + "or verify-full; `?host=/socket/folder` for a Unix socket"
        ) { $0.buildSpoolURL($1) },
        RelayKey(
            "pool", .spool, value: "integer, 1–500", default: "10", reload: .restart(\.spool.connections),
            doc: "PostgreSQL connections per receiver (one more listens for other receivers' new deliveries)"
        ) { $0.buildSpoolPool($1) },
        RelayKey(
            "retention", .spool, value: "duration, 1h–3650d", default: "7d", reload: .restart(\.spool.retention),
            doc: "delivered events are pruned after this; also the duplicate-detection window (warning under 2d: "
                + "Svix retries for about 28 h)"
        ) { $0.buildSpoolRetention($1) },
        RelayKey(
            "commit", .spool, value: "`grouped` \\| `per-request`", default: "grouped", reload: .restart(\.spool.commit),
            doc: "grouped: concurrent requests share one transaction and one fsync"
        ) { $0.buildSpoolCommit($1) },
        RelayKey(
            "max-queue", .spool, value: "integer, 1–1000000", default: "10000", reload: .restart(\.spool.maxQueue),
            doc: "requests waiting for a commit before ingest answers 503"
        ) { $0.buildSpoolMaxQueue($1) },
        RelayKey(
            "max-size", .spool, value: "size, 64KiB–1PiB", default: "none", reload: .restart(\.spool.maxSize),
            doc: "the largest the spool may grow; beyond it ingest answers 503"
        ) { $0.buildSpoolMaxSize($1) },
        RelayKey(
            "lease", .spool, value: "duration, 1s–1h", default: "30s", reload: .restart(\.spool.lease),
            doc: "how long a claim holds its deliveries (renewed while a batch runs); an attempt whose outcome was "
                + "never recorded (a crash, a stuck sink) is made again after it"
        ) { $0.buildSpoolLease($1) },
    ]
}

extension RelayPlan {
    /// Keeps the running value of every key a reload cannot change (``ReloadEffect/needsRestart(_:)``), and returns
    /// the qualified names of those that the new file changed, for the "needs a restart" warning.
    public mutating func keepRestartOnlySettings(of running: RelayPlan) -> [String] {
        RelayKeys.all.compactMap { key in
            guard case .needsRestart(let keep) = key.reload else { return nil }
            return keep(&self, running) ? key.qualifiedName : nil
        }
    }
}

extension RelayKeys {
    /// The tables of the relay's own keys, one per scope, as Markdown (`engage-relay keys --markdown`, and the
    /// generated part of `docs/config.md`).
    public static var markdownReference: String {
        var lines: [String] = []
        for scope in ConfigScope.allCases {
            lines.append(scope == .top ? "### Top level" : "### `\(scope.rawValue)`")
            lines.append("")
            lines.append("| key | value | default | on reload | meaning |")
            lines.append("|---|---|---|---|---|")
            for key in all where key.scope == scope {
                let reload =
                    switch key.reload {
                    case .applies: "applies"
                    case .needsRestart: "needs a restart"
                    case .byKeys: "see its keys"
                    }
                let fallback =
                    key.defaultValue.map { ["none", "required"].contains($0) || $0.contains(" ") ? $0 : "`\($0)`" } ?? ""
                let repeatable = key.isRepeatable ? " (repeatable)" : ""
                lines.append("| `\(key.name)` | \(key.value)\(repeatable) | \(fallback) | \(reload) | \(key.doc) |")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
