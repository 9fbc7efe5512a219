import Foundation
import RelayConfig
import RelayCore

extension PlanBuilder {
    mutating func buildSpool(_ directive: Directive) {
        buildBlock(directive, scope: .spool, usage: "spool { path /var/lib/engage-relay/spool.db }")
        let entries = directive.block?.directives ?? []
        func entry(_ name: String) -> Directive? { entries.first { $0.name.text == name } }
        if let url = entry("url") {
            if let path = entry("path") {
                error(
                    "`path` and `url` choose different spools (SQLite and PostgreSQL)", at: path.name.range,
                    suggestion: "keep `url` for PostgreSQL or `path` for SQLite, not both")
            }
            if let maxSize = entry("max-size") {
                error(
                    "`max-size` applies to the SQLite spool only", at: maxSize.name.range,
                    suggestion: "limit the PostgreSQL database's size on the server instead")
            }
            _ = url
        } else if let pool = entry("pool") {
            error(
                "`pool` applies to the PostgreSQL spool only", at: pool.name.range,
                suggestion: "add `url postgres://USER@HOST/DATABASE`, or remove `pool`")
        }
    }

    mutating func buildSpoolURL(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "url env:ENGAGE_RELAY_DATABASE_URL") else { return }
        let source = SecretSource(value.text)
        plan.spool.kind = "postgres"
        plan.spool.urlSource = source
        guard case .value(let text) = resolve(source, key: "spool url", at: value.range) else { return }
        do {
            let url = try PostgresURL(text)
            if let password = url.password, !password.isEmpty { plan.secretValues.append(password) }
            plan.spool.url = url
        } catch {
            self.error(
                "`url` \(source) is not a PostgreSQL URL: \(error)", at: value.range,
                suggestion: "write postgres://USER:PASSWORD@HOST:5432/DATABASE, or keep it in `env:` or `file:`")
        }
    }

    mutating func buildSpoolPool(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "pool 10") else { return }
        guard let count = ConfigValue.integer(value.text), (1...500).contains(count) else {
            error("`\(value.text)` is not a connection count between 1 and 500", at: value.range, suggestion: "the default is 10")
            return
        }
        plan.spool.connections = count
    }

    mutating func buildSpoolPath(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "path /var/lib/engage-relay/spool.db") else { return }
        plan.spool.path = value.text
    }

    mutating func buildSpoolRetention(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "retention 7d") else { return }
        guard let duration = ConfigValue.duration(value.text), duration >= .seconds(3600),
            duration <= .seconds(3650 * 86_400)
        else {
            error("`\(value.text)` is not a retention between 1h and 3650d", at: value.range, suggestion: "the default is 7d")
            return
        }
        plan.spool.retention = duration
        if duration < .seconds(2 * 86_400) {
            warning(
                "retention \(duration.configText) is shorter than 2d: Svix retries a message for about 28 hours,"
                    + " so a late retry of a pruned message would be delivered again", at: value.range,
                suggestion: "keep the default 7d")
        }
    }

    mutating func buildSpoolCommit(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "commit grouped") else { return }
        guard ["grouped", "per-request"].contains(value.text) else {
            error("`\(value.text)` is not a commit mode", at: value.range, suggestion: "use grouped or per-request")
            return
        }
        plan.spool.commit = value.text
    }

    mutating func buildSpoolLease(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "lease 30s") else { return }
        guard let duration = ConfigValue.duration(value.text), duration >= .seconds(1), duration <= .seconds(3600) else {
            error("`\(value.text)` is not a lease between 1s and 1h", at: value.range, suggestion: "the default is 30s")
            return
        }
        plan.spool.lease = duration
    }

    mutating func buildSpoolMaxSize(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "max-size 10GiB") else { return }
        guard let size = ConfigValue.byteSize(value.text), size >= 64 * 1024 else {
            error("`\(value.text)` is not a spool size between 64KiB and 1PiB", at: value.range)
            return
        }
        plan.spool.maxSize = size
    }

    mutating func buildSpoolMaxQueue(_ entry: Directive) {
        guard let value = singleValue(entry, usage: "max-queue 10000") else { return }
        guard let count = ConfigValue.integer(value.text), (1...1_000_000).contains(count) else {
            error("`\(value.text)` is not a queue size between 1 and 1000000", at: value.range)
            return
        }
        plan.spool.maxQueue = count
    }
}
